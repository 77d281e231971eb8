/**
 * `postbox ui [--port N]`: the web console on 127.0.0.1 (default port 3100, or the next free one),
 * for the API at --url. It serves the console's files at /ui/ and forwards /v1 to the API,
 * adding the credentials itself (the bearer token, or SigV4 from the standard AWS credential
 * chain), so the browser never holds them and a deployed stack needs no public console.
 *
 * Only the console's own requests are forwarded: they carry `X-Postbox-Console` (which a page of
 * another site cannot send without a CORS preflight, never granted here), name this server in
 * `Host` (no DNS rebinding) and, if they say where they come from, this origin. Without that,
 * any web page open in the browser could use the credentials this command adds.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { Command } from 'commander';
import { builtConsole, type ConsoleFiles, consoleFiles } from '../../../console/serve';
import type { Authorizer } from '../../src/http';
import { isExecuteApiUrl, sigV4Authorizer } from '../../src/sigv4';
import { action, globalsOf, integer } from '../context';
import { print } from '../output';

export const DEFAULT_UI_PORT = 3100;
/** How many ports after 3100 are tried when --port is not given. */
const PORTS_TO_TRY = 20;
const MAX_BODY_BYTES = 2 * 1024 * 1024;
// What the browser may send on and what comes back: never cookies, never its own credentials.
const REQUEST_HEADERS = ['content-type', 'accept'];
const RESPONSE_HEADERS = ['content-type', 'retry-after', 'allow', 'www-authenticate'];

export interface ForwardOptions {
  /** The API's base URL (may end in a stage path). */
  target: string;
  /** The credentials to add; none passes on the Authorization the console sends. */
  authorize?: Authorizer;
  /** Per forwarded request. */
  timeoutMs: number;
}

/** Forwards the console's `/v1` requests to the target with the credentials added. */
export function forwarder(options: ForwardOptions): (request: Request) => Promise<Response> {
  const base = options.target.replace(/\/+$/, '');
  return async (request) => {
    const url = new URL(request.url);
    if (url.pathname === '/' || url.pathname === '') return Response.redirect(new URL('/ui/', url), 302);
    if (url.pathname !== '/v1' && !url.pathname.startsWith('/v1/')) {
      return answer(404, 'NotFound', `postbox ui serves /ui/ and forwards /v1 only, not ${url.pathname}.`);
    }
    const refusal = checkOrigin(request, url);
    if (refusal) return answer(403, 'Forbidden', refusal);

    const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.text();
    if (body !== undefined && Buffer.byteLength(body) > MAX_BODY_BYTES) {
      return answer(413, 'PayloadTooLarge', 'The request is over 2 MiB.');
    }
    const outgoing = new URL(`${base}${url.pathname}${url.search}`);
    const headers: Record<string, string> = {};
    for (const name of REQUEST_HEADERS) {
      const value = request.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    if (options.authorize) {
      Object.assign(
        headers,
        await options.authorize({ method: request.method, url: outgoing, headers, body }),
      );
    } else {
      const own = request.headers.get('authorization');
      if (own !== null) headers.authorization = own;
    }
    let response: Response;
    try {
      response = await fetch(outgoing, {
        method: request.method,
        headers,
        body: body === '' ? undefined : body,
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (error) {
      const cause = (error as Error & { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      return answer(502, 'BadGateway', `The API at ${base} could not be reached (${cause}).`);
    }
    const back = new Headers({ 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
    for (const name of RESPONSE_HEADERS) {
      const value = response.headers.get(name);
      if (value !== null) back.set(name, value);
    }
    const content = response.status === 204 || response.status === 304 ? null : await response.arrayBuffer();
    return new Response(content, { status: response.status, headers: back });
  };
}

/** Why a request is not the console's own, or undefined when it is. */
function checkOrigin(request: Request, url: URL): string | undefined {
  if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost') {
    return `Requests must name this server (127.0.0.1), not ${url.hostname}.`;
  }
  const origin = request.headers.get('origin');
  if (origin !== null && origin !== url.origin) return `Requests from ${origin} are not forwarded.`;
  const site = request.headers.get('sec-fetch-site');
  if (site !== null && site !== 'same-origin' && site !== 'none')
    return 'Cross-site requests are not forwarded.';
  if (request.headers.get('x-postbox-console') !== '1') {
    return 'Only the console’s own requests are forwarded (X-Postbox-Console header missing).';
  }
  return undefined;
}

function answer(status: number, code: string, message: string): Response {
  return new Response(JSON.stringify({ error: { code, message } }), {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
  });
}

interface UiServer {
  url: string;
  /** Stops accepting, gives requests under way `graceMs`, then drops them. */
  close(graceMs: number): Promise<void>;
}

/**
 * Serves the console's files, then `fetch`, on 127.0.0.1: `port`, or with none the first free
 * port from 3100 on. Its own listener rather than the local server's (functions/local/server.ts),
 * so that this command depends on nothing of the server.
 */
async function listen(
  files: ConsoleFiles,
  fetch: (request: Request) => Promise<Response>,
  port: number | undefined,
): Promise<UiServer> {
  const candidates =
    port === undefined ? Array.from({ length: PORTS_TO_TRY }, (_, i) => DEFAULT_UI_PORT + i) : [port];
  for (const candidate of candidates) {
    const server = createServer(
      getRequestListener(async (request) => (await files(request)) ?? fetch(request)),
    );
    const failure = await bind(server, candidate);
    if (failure === undefined) {
      return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: closer(server) };
    }
    if (failure.code !== 'EADDRINUSE') {
      throw failure.code === 'EACCES'
        ? new Error(`Not allowed to listen on port ${candidate}: choose a --port above 1023.`)
        : failure;
    }
    if (port !== undefined) {
      throw new Error(
        `Port ${port} on 127.0.0.1 is already in use: stop what uses it, or choose another --port.`,
      );
    }
  }
  throw new Error(
    `Ports ${DEFAULT_UI_PORT}-${DEFAULT_UI_PORT + PORTS_TO_TRY - 1} on 127.0.0.1 are all in use: choose a --port.`,
  );
}

/** Listens on 127.0.0.1:`port`; the error when it cannot. */
function bind(server: Server, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolveBind) => {
    server.once('error', resolveBind);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', resolveBind);
      resolveBind(undefined);
    });
  });
}

function closer(server: Server): (graceMs: number) => Promise<void> {
  return async (graceMs) => {
    const closed = new Promise<void>((resolveClose) => server.close(() => resolveClose()));
    server.closeIdleConnections();
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    await closed;
    clearTimeout(timer);
  };
}

export function registerUi(program: Command): void {
  program
    .command('ui')
    .description('Serve the web console on 127.0.0.1; it reaches the API through this command')
    .option(
      '--port <port>',
      `port on 127.0.0.1 (default ${DEFAULT_UI_PORT}, or the next free one)`,
      integer(0, 65_535),
    )
    .addHelpText(
      'after',
      `
The console's /v1 requests are forwarded to --url with the credentials added here: the token
(--token or POSTBOX_TOKEN), or AWS SigV4 for an execute-api URL or with --sigv4. The browser
never sees them. Stop with Ctrl-C.

Examples:
  postbox ui
  postbox ui --url https://a1b2c3.execute-api.eu-west-1.amazonaws.com --port 3200`,
    )
    .action(
      action(async (flags: { port?: number }, cmd: Command) => {
        const globals = globalsOf(cmd);
        const sigv4 = Boolean(globals.sigv4) || isExecuteApiUrl(globals.url);
        const region = globals.region ?? process.env.AWS_DEFAULT_REGION;
        const token = globals.token;
        const authorize: Authorizer | undefined = sigv4
          ? sigV4Authorizer(globals.url, { region })
          : token
            ? async () => ({ authorization: `Bearer ${token}` })
            : undefined;
        // The console is built by `npm run build:console` (or shipped built in @postbox/cli), never here.
        const built = builtConsole();
        if ('problem' in built) throw new Error(`Cannot serve the console: ${built.problem}.`);
        const timeoutMs = Math.max(globals.timeout ?? 10, 30) * 1_000;
        const server = await listen(
          consoleFiles({ dir: built.dir }),
          forwarder({ target: globals.url, authorize, timeoutMs }),
          flags.port,
        );
        const how = sigv4
          ? 'signing with AWS SigV4'
          : token
            ? 'adding the bearer token'
            : 'adding no credentials';
        print(
          `Postbox console on ${server.url}/ui/ (forwarding /v1 to ${globals.url}, ${how}); Ctrl-C stops it`,
        );
        await untilStopped(server);
      }),
    );
}

/** Serves until SIGINT or SIGTERM, then closes. */
function untilStopped(server: UiServer): Promise<void> {
  return new Promise((resolveStop) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void server.close(500).then(() => resolveStop());
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
