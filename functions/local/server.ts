/**
 * The node HTTP server in front of the app. It binds 127.0.0.1 only: the local server is for
 * this machine, and POSTBOX_TOKEN is the only other guard it has. Requests under `/ui` (and a
 * browser's `GET /`, sent on to `/ui/`) go to the console's static files (console/serve.ts) before
 * the app, so they need no token.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { ConsoleFiles } from '../../console/serve';

export const LOCAL_HOST = '127.0.0.1';

export interface LocalServerOptions {
  /** The app's fetch handler (a hono app's `app.fetch`). */
  fetch: (request: Request) => Response | Promise<Response>;
  /** 0 lets the OS choose. */
  port: number;
  /** Serves the web console under `/ui/`. @default none (every path goes to `fetch`) */
  consoleFiles?: ConsoleFiles;
}

export interface LocalServer {
  url: string;
  port: number;
  /**
   * Stops accepting at once, lets requests under way finish for up to `graceMs` (a long poll can
   * hold one for 20 s, which is too long to make a Ctrl-C wait), then drops what is left.
   */
  close(graceMs?: number): Promise<void>;
}

export class PortInUseError extends Error {
  override name = 'PortInUseError';
}

export async function startServer(options: LocalServerOptions): Promise<LocalServer> {
  const { consoleFiles: files, fetch } = options;
  const server = createServer(
    getRequestListener(async (request) => (await files?.(request)) ?? fetch(request)),
  );
  await bind(server, options.port);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${LOCAL_HOST}:${port}`,
    port,
    close: async (graceMs = 2_000) => {
      const closed = new Promise<void>((resolveClose) => server.close(() => resolveClose()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(timer);
    },
  };
}

/**
 * Throws PortInUseError unless `port` can be bound on 127.0.0.1 right now. main.ts asks before
 * starting DynamoDB Local, so a taken port fails in milliseconds instead of after Java has started.
 */
export async function checkPort(port: number): Promise<void> {
  const probe = createServer();
  await bind(probe, port);
  await new Promise<void>((resolveClose) => probe.close(() => resolveClose()));
}

async function bind(server: Server, port: number): Promise<void> {
  await new Promise<void>((resolveListen, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(
          new PortInUseError(
            `Port ${port} on ${LOCAL_HOST} is already in use: stop what uses it, or set PORT`,
          ),
        );
      } else if (error.code === 'EACCES') {
        reject(new PortInUseError(`Not allowed to listen on port ${port}: choose a PORT above 1023`));
      } else {
        reject(error);
      }
    };
    server.once('error', onError);
    server.listen(port, LOCAL_HOST, () => {
      server.off('error', onError);
      resolveListen();
    });
  });
}
