/**
 * `postbox ui`'s forwarding (client/cli/commands/ui.ts) against a stub API: what reaches the API
 * (credentials added here, the browser's own dropped, a stage path kept, SigV4 signed), what
 * comes back, and which requests are refused before anything is sent.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forwarder } from '../../client/cli/commands/ui';
import { sigV4Authorizer } from '../../client/src/sigv4';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let stub: Server;
let target: string;
const seen: Seen[] = [];

beforeAll(async () => {
  stub = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    request.on('end', () => {
      seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      response.writeHead(request.url?.includes('missing') ? 404 : 200, {
        'content-type': 'application/json; charset=utf-8',
        'set-cookie': 'tracking=1',
        'retry-after': '3',
      });
      response.end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((resolveListen) => stub.listen(0, '127.0.0.1', () => resolveListen()));
  target = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolveClose) => stub.close(() => resolveClose())));

const ORIGIN = 'http://127.0.0.1:3100';
const consoleRequest = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
  new Request(`${ORIGIN}${path}`, {
    ...init,
    headers: { 'x-postbox-console': '1', 'sec-fetch-site': 'same-origin', origin: ORIGIN, ...init.headers },
  });

describe('postbox ui forwarding', () => {
  it('adds its own token in place of the browser’s, keeps the stage path, and passes the answer back', async () => {
    const forward = forwarder({
      target: `${target}/prod/`,
      authorize: async () => ({ authorization: 'Bearer server-side' }),
      timeoutMs: 5_000,
    });
    const response = await forward(
      consoleRequest('/v1/queues/orders/messages?state=ready&limit=20', {
        method: 'POST',
        body: '{"body":1}',
        headers: { 'content-type': 'application/json', authorization: 'Bearer from-browser', cookie: 'a=b' },
      }),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    expect(response.headers.get('retry-after')).toBe('3');
    expect(response.headers.get('set-cookie')).toBeNull();
    const last = seen[seen.length - 1];
    expect(last).toMatchObject({
      method: 'POST',
      url: '/prod/v1/queues/orders/messages?state=ready&limit=20',
      body: '{"body":1}',
    });
    expect(last?.headers.authorization).toBe('Bearer server-side');
    expect(last?.headers.cookie).toBeUndefined();
    expect(last?.headers['x-postbox-console']).toBeUndefined();
  });

  it('signs with SigV4 for a deployed API', async () => {
    const forward = forwarder({
      target,
      authorize: sigV4Authorizer(target, {
        region: 'eu-west-1',
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      }),
      timeoutMs: 5_000,
    });
    const response = await forward(consoleRequest('/v1/queues?limit=20'));
    expect(response.status).toBe(200);
    const headers = seen[seen.length - 1]?.headers ?? {};
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[^,]*host[^,]*, Signature=[0-9a-f]{64}$/,
    );
    expect(headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
  });

  it('passes the browser’s token on when it has no credentials of its own, and error answers as they are', async () => {
    const forward = forwarder({ target, timeoutMs: 5_000 });
    const response = await forward(
      consoleRequest('/v1/queues/missing', { headers: { authorization: 'Bearer typed-in-the-page' } }),
    );
    expect(response.status).toBe(404);
    expect(seen[seen.length - 1]?.headers.authorization).toBe('Bearer typed-in-the-page');
  });

  it('refuses requests that are not the console’s own, before sending anything', async () => {
    const forward = forwarder({
      target,
      authorize: async () => ({ authorization: 'Bearer server-side' }),
      timeoutMs: 5_000,
    });
    const before = seen.length;
    const refused = [
      new Request(`${ORIGIN}/v1/queues`),
      consoleRequest('/v1/queues', { headers: { origin: 'https://evil.example' } }),
      consoleRequest('/v1/queues', { headers: { 'sec-fetch-site': 'cross-site' } }),
      new Request('http://rebound.example:3100/v1/queues', { headers: { 'x-postbox-console': '1' } }),
    ];
    for (const request of refused) {
      const response = await forward(request);
      expect(response.status, request.url).toBe(403);
      expect(await response.json()).toMatchObject({ error: { code: 'Forbidden' } });
    }
    expect((await forward(consoleRequest('/other'))).status).toBe(404);
    expect((await forward(consoleRequest('/'))).headers.get('location')).toBe(`${ORIGIN}/ui/`);
    expect(seen.length).toBe(before);
  });

  it('answers 502 in the contract’s shape when the API cannot be reached', async () => {
    const forward = forwarder({ target: 'http://127.0.0.1:1', timeoutMs: 5_000 });
    const response = await forward(consoleRequest('/v1/queues'));
    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({ error: { code: 'BadGateway' } });
  });
});
