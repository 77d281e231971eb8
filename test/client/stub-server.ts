/**
 * A scripted HTTP server on 127.0.0.1 for fault answers the real server cannot be made to give
 * on demand (503 with Retry-After, a hang, a reset connection). Each request takes the next step
 * of the script; every request is recorded.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Step =
  | { status: number; body?: unknown; headers?: Record<string, string> }
  /** Never answers (the client's timeout ends it). */
  | 'hang'
  /** Closes the connection without an answer. */
  | 'reset';

export interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}

export interface Stub {
  url: string;
  requests: Recorded[];
  /** Replaces the script; when it runs out, every request gets `{status: 200, body: {}}`. */
  script(...steps: Step[]): void;
  close(): Promise<void>;
}

export async function startStub(): Promise<Stub> {
  let steps: Step[] = [];
  const requests: Recorded[] = [];
  const answer = (request: IncomingMessage, response: ServerResponse, body: string) => {
    requests.push({
      method: request.method ?? '',
      url: request.url ?? '',
      headers: request.headers,
      body,
      at: Date.now(),
    });
    const step = steps.shift() ?? { status: 200, body: {} };
    if (step === 'hang') return;
    if (step === 'reset') {
      request.socket.destroy();
      return;
    }
    const text =
      step.body === undefined ? '' : typeof step.body === 'string' ? step.body : JSON.stringify(step.body);
    response.writeHead(step.status, { 'content-type': 'application/json', ...step.headers });
    response.end(text);
  };
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    request.on('end', () => answer(request, response, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script(...next) {
      steps = next;
      requests.length = 0;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The contract's error body. */
export const errorBody = (code: string, message = code) => ({ error: { code, message } });
