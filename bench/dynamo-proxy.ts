/**
 * A counting reverse proxy in front of DynamoDB Local, on 127.0.0.1: what a whole process (the
 * real local server, `functions/local/main.ts`) sends to DynamoDB, counted by the operation named
 * in each request's `X-Amz-Target` header, without touching the process. SDK middleware
 * (counter.ts) can only count a client the bench holds; this counts one it does not.
 */
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountingProxy {
  /** Point DYNAMODB_ENDPOINT here. */
  url: string;
  /** Requests by operation since the last take, then starts again from zero. */
  take(): Record<string, number>;
  close(): Promise<void>;
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  let counts: Record<string, number> = {};
  const server = createServer((incoming, outgoing) => {
    const header = incoming.headers['x-amz-target'];
    const operation = String(Array.isArray(header) ? header[0] : (header ?? 'unknown')).replace(/^.*\./, '');
    counts[operation] = (counts[operation] ?? 0) + 1;
    const forward = httpRequest(
      {
        hostname: upstream.hostname,
        port: upstream.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, host: upstream.host },
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forward.on('error', (error) => {
      if (!outgoing.headersSent) outgoing.writeHead(502, { 'content-type': 'text/plain' });
      outgoing.end(`proxy: ${error.message}`);
    });
    incoming.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    take() {
      const taken = counts;
      counts = {};
      return taken;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const totalOf = (counts: Record<string, number>) =>
  Object.values(counts).reduce((sum, n) => sum + n, 0);
