/**
 * What API Gateway's IAM authorizer does in front of the deployed SQS endpoint, here: a local
 * server that verifies each request's SigV4 signature (recomputed with the AWS SDK's own signer,
 * @smithy/signature-v4) for the service `execute-api`, refuses anything else with 403 as API
 * Gateway does, and hands what passes to the app as the api function gets it, with the HTTP
 * API's account in `event.requestContext.accountId`. Queue URLs keep this server's origin, so the
 * SDKs (which send to the QueueUrl's host) come back through it.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

export const DEPLOYED_ACCOUNT = '123456789012';

export interface IamGateway {
  url: string;
  /** The credential scope of every request, verified or not: `<region>/<service>`. */
  scopes: string[];
  close(): Promise<void>;
}

type Fetch = (request: Request, env: unknown) => Response | Promise<Response>;

async function bodyOf(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Whether the request carries a valid SigV4 signature for execute-api by these credentials. */
async function verifies(
  request: IncomingMessage,
  body: Buffer,
  credentials: { accessKeyId: string; secretAccessKey: string },
  scopes: string[],
): Promise<boolean> {
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
      request.headers.authorization ?? '',
    );
  if (!match) return false;
  const [, accessKeyId, , region, service, signedHeaders, signature] = match as unknown as string[];
  scopes.push(`${region}/${service}`);
  if (service !== 'execute-api' || accessKeyId !== credentials.accessKeyId) return false;
  const url = new URL(request.url ?? '/', `http://${request.headers.host}`);
  const headers: Record<string, string> = {};
  for (const name of (signedHeaders as string).split(';'))
    headers[name] = String(request.headers[name] ?? '');
  // applyChecksum off: sign the headers the client sent, adding none (x-amz-content-sha256).
  const signer = new SignatureV4({
    service: 'execute-api',
    region: region as string,
    credentials,
    sha256: Sha256,
    applyChecksum: false,
  });
  const amzDate = headers['x-amz-date'] ?? '';
  const signingDate = new Date(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  const signed = await signer.sign(
    {
      method: request.method ?? 'POST',
      protocol: 'http:',
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      body: body.length > 0 ? body.toString('utf8') : undefined,
    },
    { signingDate, signableHeaders: new Set(Object.keys(headers)) },
  );
  return String(signed.headers.authorization).endsWith(`Signature=${signature}`);
}

export async function startIamGateway(
  fetch: Fetch,
  credentials: { accessKeyId: string; secretAccessKey: string },
): Promise<IamGateway> {
  const scopes: string[] = [];
  const server = createServer(async (request, response) => {
    const body = await bodyOf(request);
    if (!(await verifies(request, body, credentials, scopes))) {
      response.writeHead(403, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ message: 'Forbidden' }));
      return;
    }
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === 'string') headers.set(name, value);
    }
    const answer = await fetch(
      new Request(`http://${request.headers.host}${request.url}`, {
        method: request.method ?? 'POST',
        headers,
        ...(body.length > 0 ? { body } : {}),
      }),
      { event: { requestContext: { accountId: DEPLOYED_ACCOUNT } } },
    );
    response.writeHead(answer.status, Object.fromEntries(answer.headers));
    response.end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    scopes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
