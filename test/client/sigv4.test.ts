/**
 * SigV4 for the deployed API: checked against AWS's published "get-vanilla" test vector, and
 * against the AWS SDK's own signer (@smithy/signature-v4) for what the client actually sends.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PostboxClient, regionFromUrl } from '../../client/src';
import { signRequest } from '../../client/src/sigv4';
import { type Stub, startStub } from './stub-server';

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session-token-example',
};
const signingDate = new Date('2026-11-24T19:00:00.000Z');

interface Captured {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/** A client whose fetch records the request and answers `answer`, no network. */
function capturingClient(url: string, answer: unknown, region?: string) {
  const captured: Captured[] = [];
  const fetchStub: typeof fetch = async (input, init) => {
    captured.push({
      url: new URL(String(input)),
      method: init?.method ?? 'GET',
      headers: { ...(init?.headers as Record<string, string>) },
      body: init?.body as string | undefined,
    });
    return new Response(JSON.stringify(answer), { status: 200 });
  };
  const client = new PostboxClient({
    url,
    fetch: fetchStub,
    sigv4: { region, credentials, signingDate: () => signingDate },
  });
  return { client, captured };
}

/** The AWS SDK signer's own signature of a request, from its parts as sent on the wire. */
async function smithySignature(request: Captured, region: string): Promise<string | undefined> {
  const signer = new SignatureV4({
    service: 'execute-api',
    region,
    credentials,
    sha256: Sha256,
    applyChecksum: false,
  });
  const query: Record<string, string> = {};
  for (const [key, value] of request.url.searchParams) query[key] = value;
  const { authorization: _a, 'x-amz-date': _d, 'x-amz-security-token': _t, ...headers } = request.headers;
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: request.url.protocol,
      hostname: request.url.hostname,
      path: request.url.pathname,
      query,
      headers: { ...headers, host: request.url.host },
      body: request.body,
    },
    { signingDate },
  );
  return signed.headers.authorization;
}

describe('signRequest', () => {
  it("reproduces AWS's get-vanilla test vector", async () => {
    const signer = new SignatureV4({
      service: 'service',
      region: 'us-east-1',
      credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
      sha256: Sha256,
      applyChecksum: false,
    });
    const headers = await signRequest(
      signer,
      { method: 'GET', url: new URL('https://example.amazonaws.com/'), headers: {} },
      new Date('2015-08-30T12:36:00Z'),
    );
    expect(headers).toEqual({
      'x-amz-date': '20150830T123600Z',
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ' +
        'SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    });
  });
});

describe('PostboxClient with SigV4', () => {
  const api = 'https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod';

  it('signs a publish exactly as the AWS SDK signer does', async () => {
    const { client, captured } = capturingClient(api, { id: 'm', deliverAt: 'x', duplicate: false });
    await client.publish('orders', { orderId: 42, note: 'ünïcode' }, { priority: 5 });
    const [request] = captured;
    if (!request) throw new Error('no request');
    expect(request.url.href).toBe(`${api}/v1/queues/orders/messages`);
    expect(request.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20261124\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=accept;content-type;host;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
    );
    expect(request.headers['x-amz-security-token']).toBe(credentials.sessionToken);
    expect(request.headers.authorization).toBe(await smithySignature(request, 'eu-west-1'));
  });

  it('signs a GET with an encoded query the same way', async () => {
    const { client, captured } = capturingClient(api, { messages: [], cursor: null });
    await client.browse('orders', { state: 'ready', limit: 5, cursor: 'a+b/c= d*' });
    const [request] = captured;
    if (!request) throw new Error('no request');
    expect(request.url.search).toBe('?state=ready&limit=5&cursor=a%2Bb%2Fc%3D%20d%2A');
    expect(request.headers.authorization).toBe(await smithySignature(request, 'eu-west-1'));
  });

  it('uses the configured region for a custom domain, port included in the signed host', async () => {
    const { client, captured } = capturingClient(
      'https://queues.example.com:8443/',
      { status: 'ok' },
      'ap-south-1',
    );
    await client.health();
    const [request] = captured;
    if (!request) throw new Error('no request');
    expect(request.headers.authorization).toContain('/ap-south-1/execute-api/');
    expect(request.headers.authorization).toBe(await smithySignature(request, 'ap-south-1'));
  });

  it('refuses a URL without a region when none is configured', () => {
    expect(() => new PostboxClient({ url: 'https://queues.example.com', sigv4: true })).toThrow(/region/);
  });

  it('finds the region in execute-api URLs', () => {
    expect(regionFromUrl(api)).toBe('eu-west-1');
    expect(regionFromUrl('https://x1.execute-api.cn-north-1.amazonaws.com.cn/')).toBe('cn-north-1');
    expect(regionFromUrl('http://127.0.0.1:3000')).toBeUndefined();
  });
});

describe('over the wire', () => {
  let stub: Stub;
  const saved = { ...process.env };
  beforeAll(async () => {
    stub = await startStub();
  });
  afterAll(() => stub?.close());
  afterEach(() => {
    process.env = { ...saved };
  });

  it('arrives with a signature a verifier recomputes from the received request', async () => {
    const client = new PostboxClient({
      url: stub.url,
      sigv4: { region: 'us-east-1', credentials, signingDate: () => signingDate },
    });
    stub.script({ status: 200, body: { moved: 0 } });
    await client.redrive('orders-dlq', { to: 'orders' });
    const [received] = stub.requests;
    if (!received) throw new Error('no request');
    // What API Gateway does: take the signed headers as received and sign again.
    const signedNames =
      /SignedHeaders=([^,]+)/.exec(String(received.headers.authorization))?.[1]?.split(';') ?? [];
    const headers = Object.fromEntries(signedNames.map((name) => [name, String(received.headers[name])]));
    const request: Captured = {
      url: new URL(`${stub.url}${received.url}`),
      method: received.method,
      headers,
      body: received.body,
    };
    expect(received.headers.authorization).toBe(await smithySignature(request, 'us-east-1'));
    expect(JSON.parse(received.body)).toEqual({ to: 'orders' });
  });

  it('takes credentials from the standard provider chain (here: the environment)', async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIAFROMENVIRONMENT';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret-from-environment';
    process.env.AWS_SESSION_TOKEN = 'token-from-environment';
    const client = new PostboxClient({ url: stub.url, sigv4: { region: 'us-east-1' } });
    stub.script({ status: 200, body: { status: 'ok' } });
    await client.health();
    const [received] = stub.requests;
    expect(received?.headers.authorization).toContain('Credential=AKIAFROMENVIRONMENT/');
    expect(received?.headers['x-amz-security-token']).toBe('token-from-environment');
  });
});
