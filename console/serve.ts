/**
 * The web console's static files under `/ui/` (docs/api.md, "Local server"): no token (they hold
 * no data), GET and HEAD only, a fixed set of content types, no directory traversal, pages named
 * by path answered with index.html, and a strict Content-Security-Policy, so user data the console
 * shows can never run as script.
 *
 * One module for both servers of the console: the local server (functions/local/main.ts, through
 * server.ts) and `postbox ui` (client/cli/commands/ui.ts). It lives with the console, not in
 * functions/local, because its rules follow the console (its routes, its no-inline-script build)
 * and because the CLI must not depend on the server: this file needs node:fs and node:path only,
 * so `postbox ui` pulls in none of the server, the engine or the AWS SDK. It serves what
 * `npm run build:console` (console/build.ts) built and never builds anything itself.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';

export const CONSOLE_PATH = '/ui/';

/**
 * The built console (`dist/` of the nearest console/ folder with an index.html, walking up from
 * `from`), or why there is none. Walking up because this code also runs bundled: into the CLI
 * under node_modules/.cache/postbox, and into @postbox/cli's dist/ (its console/ beside it).
 */
export function builtConsole(from = __dirname): { dir: string } | { problem: string } {
  for (let dir = from; ; dir = dirname(dir)) {
    const source = join(dir, 'console');
    if (existsSync(join(source, 'index.html'))) {
      const dist = join(source, 'dist');
      if (existsSync(join(dist, 'index.html'))) return { dir: dist };
      return {
        problem: `the web console is not built (no ${join(dist, 'index.html')}): run npm run build:console in the repository (npm start and npm test run it first), or reinstall @postbox/cli`,
      };
    }
    if (dirname(dir) === dir) return { problem: `there is no console/ folder in ${from} or above it` };
  }
}

/**
 * Same-origin everything, no inline script or style, no plugins, no framing, no form posts
 * (every form of the console is handled in script: a native submit would put values in a URL).
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONSOLE_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  // Rebuilt by `npm start`; a stale copy after an upgrade would be worse than a refetch.
  'Cache-Control': 'no-cache',
};

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * A page of the console named by path (`/ui/queues/orders/messages/{id}`, `/ui/topics`): answered
 * with index.html, whose script turns the path into the console's hash route. Names and ids are
 * letters, digits, '_' and '-' (the contract), so no dot, no escape and no traversal can match.
 */
const DEEP_LINK = /^(?:queues|topics|schedules)(?:\/[A-Za-z0-9_-]+)*\/?$/;

// One or more plain segments: letters, digits, '.', '_', '-'; no segment of dots only.
const SAFE_PATH = /^(?:[A-Za-z0-9_-][A-Za-z0-9._-]*\/)*[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/**
 * Answers requests under `/ui`, and a browser's `GET /` (sent to `/ui/`); anything else is not its
 * business (undefined): `POST /` and `/?Action=…` stay the app's (the SQS endpoint).
 */
export type ConsoleFiles = (request: Request) => Promise<Response | undefined>;

export interface ConsoleFilesOptions {
  /** The built console (builtConsole() finds it). */
  dir: string;
}

export function consoleFiles(options: ConsoleFilesOptions): ConsoleFiles {
  const dir = resolve(options.dir);
  return async (request) => {
    const url = new URL(request.url);
    if (
      url.pathname === '/' &&
      url.search === '' &&
      (request.method === 'GET' || request.method === 'HEAD')
    ) {
      return redirect(CONSOLE_PATH, 302);
    }
    if (url.pathname !== '/ui' && !url.pathname.startsWith(CONSOLE_PATH)) return undefined;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return errorAnswer(405, 'MethodNotAllowed', `The console's files take GET and HEAD only.`, {
        Allow: 'GET, HEAD',
      });
    }
    if (url.pathname === '/ui') return redirect(`${CONSOLE_PATH}${url.search}`);
    const file = fileOf(dir, url.pathname.slice(CONSOLE_PATH.length));
    const type = file && CONTENT_TYPES[extname(file)];
    if (!file || !type) return notFound(url.pathname);
    let content: Buffer;
    try {
      content = await readFile(file);
    } catch {
      return notFound(url.pathname);
    }
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(content), {
      status: 200,
      headers: { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': String(content.length) },
    });
  };
}

/**
 * The file a path under /ui/ names, or undefined when it is not a plain relative path inside
 * `dir`. The path is checked as the client sent it (still percent-encoded), so `%2e%2e` and `%2f`
 * never become segments; the resolved file is checked against `dir` once more.
 */
export function fileOf(dir: string, path: string): string | undefined {
  if (path === '' || DEEP_LINK.test(path)) return join(dir, 'index.html');
  if (!SAFE_PATH.test(path)) return undefined;
  const file = resolve(dir, path);
  const inside = relative(dir, file);
  if (inside === '' || inside.startsWith('..') || inside.split(sep).includes('..')) return undefined;
  return file;
}

/** 308 for /ui → /ui/ (permanent); 302 for / → /ui/ (the app may one day answer `/` itself). */
function redirect(location: string, status: 302 | 308 = 308): Response {
  return new Response(null, { status, headers: { ...SECURITY_HEADERS, Location: location } });
}

function notFound(path: string): Response {
  return errorAnswer(404, 'NotFound', `There is no console file ${path}.`);
}

function errorAnswer(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify({ error: { code, message } }), {
    status,
    headers: { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8', ...headers },
  });
}
