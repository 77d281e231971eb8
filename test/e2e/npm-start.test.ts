/**
 * `npm start` as a process manager or a terminal runs it: the npm process itself is what gets
 * signalled, and everything it led to (the node server, DynamoDB Local's java) must be gone within
 * a bound, the port closed, and the output must read as a clean start and a clean stop.
 *
 * `--ignore-scripts` skips only the `prestart` console build (npm still runs `start` itself): other
 * test files serve console/dist while this one runs, and `npm test` has built it already.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../functions/local/dynamodb-local';
import { inspectProcess, isAlive } from '../../functions/local/processes';
import { call, descendants, repoRoot, startCommand } from './local-server-process';

const dirs: string[] = [];
const started: number[] = [];

afterAll(() => {
  // A failed test must not leave a server behind: SIGKILL whatever of ours is still alive.
  for (const pid of started) {
    if (/^npm |^sh -c |main\.ts|DynamoDBLocal/.test(inspectProcess(pid)?.commandLine ?? '')) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'postbox-npm-start-')));
  dirs.push(dir);
  return dir;
}

interface NpmStart {
  npm: ChildProcess;
  output(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** This process's environment without npm's and the server's own variables. */
function serverEnvironment(): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const name of Object.keys(base)) {
    if (name.startsWith('npm_') || name.startsWith('POSTBOX_') || name === 'PORT') delete base[name];
  }
  return base;
}

/** `npm start [-- args]` in the repository; `group` makes npm the leader of its own process group. */
function npmStart(env: Record<string, string>, args: string[], group: boolean): NpmStart {
  const npm = spawn('npm', ['start', '--ignore-scripts', ...(args.length > 0 ? ['--', ...args] : [])], {
    cwd: repoRoot,
    env: { ...serverEnvironment(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: group,
  });
  return track(npm);
}

function track(npm: ChildProcess): NpmStart {
  if (npm.pid) started.push(npm.pid);
  let out = '';
  let err = '';
  npm.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  npm.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    npm.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return { npm, output: () => out, stderr: () => err, exited };
}

/** Waits for the ready line; returns every process npm led to by then. */
async function ready(run: NpmStart): Promise<{ url: string; tree: number[] }> {
  await expect
    .poll(() => /^Postbox listening on /m.test(run.output()), { timeout: 60_000, interval: 50 })
    .toBe(true);
  const url = /^Postbox listening on (http:\/\/127\.0\.0\.1:\d+)/m.exec(run.output())?.[1] ?? '';
  const tree = descendants(run.npm.pid ?? -1);
  started.push(...tree);
  return { url, tree };
}

async function exitedWithin(run: NpmStart, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`npm did not exit within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([run.exited, late]);
  } finally {
    clearTimeout(timer);
  }
}

function portIsClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

/** Lines a person would read as trouble. */
const failureLine = /fail|error|retrying|unexpected|exception|warning/i;

describe('npm start', () => {
  it('stops when the process that started it dies without passing a signal on', async () => {
    // A wrapper shell that does not exec (and so does not relay signals), killed outright.
    const port = await freePort();
    const { file, args } = startCommand();
    const command = [file, ...args].map((word) => `'${word}'`).join(' ');
    const wrapper = spawn('sh', ['-c', `${command}; exit 0`], {
      cwd: repoRoot,
      env: { ...serverEnvironment(), PORT: String(port), POSTBOX_IN_MEMORY: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run = track(wrapper);
    const { tree } = await ready(run);
    expect(tree.filter((pid) => /DynamoDBLocal/.test(inspectProcess(pid)?.commandLine ?? ''))).toHaveLength(
      1,
    );

    process.kill(wrapper.pid ?? -1, 'SIGKILL');

    await expect
      .poll(() => tree.filter((pid) => isAlive(pid)), { timeout: 15_000, interval: 100 })
      .toEqual([]);
    expect(await portIsClosed(port)).toBe(true);
    expect(run.output()).toContain('Parent process gone: stopping Postbox');
  }, 120_000);

  it('stops everything, port included, when only the npm process gets SIGTERM', async () => {
    const port = await freePort();
    const run = npmStart(
      { PORT: String(port), POSTBOX_IN_MEMORY: '1', POSTBOX_DATA_DIR: tempDir() },
      [],
      false,
    );
    const { url, tree } = await ready(run);

    // The ready line is the first thing the server says: after npm's own `> …` banner, nothing
    // comes before it, and nothing at all on stderr (no AWS SDK Node.js version warning).
    const lines = run.output().split('\n');
    const serverLines = lines.filter((line) => line.trim() !== '' && !line.startsWith('> '));
    expect(serverLines[0]).toMatch(
      /^Postbox listening on http:\/\/127\.0\.0\.1:\d+ \(DynamoDB Local on port \d+, in memory\)$/,
    );
    expect(run.stderr()).toBe('');
    const server = tree.filter((pid) => /main\.ts/.test(inspectProcess(pid)?.commandLine ?? ''));
    const java = tree.filter((pid) => /DynamoDBLocal/.test(inspectProcess(pid)?.commandLine ?? ''));
    expect(server).toHaveLength(1);
    expect(java).toHaveLength(1);
    expect((await call(`${url}/v1/health`, 'GET')).json).toEqual({ status: 'ok' });

    // Act: what a process manager does: SIGTERM to the pid it started, not to its group.
    process.kill(run.npm.pid ?? -1, 'SIGTERM');

    // Assess: within a bound, npm has exited, no process of it is left, and the port is closed.
    await exitedWithin(run, 15_000);
    await expect
      .poll(() => tree.filter((pid) => isAlive(pid)), { timeout: 15_000, interval: 100 })
      .toEqual([]);
    expect(await portIsClosed(port)).toBe(true);
    const stop = run.output().slice(run.output().indexOf('SIGTERM: stopping Postbox'));
    expect(stop).toMatch(/^SIGTERM: stopping Postbox/);
    expect(stop.split('\n').filter((line) => failureLine.test(line))).toEqual([]);
    expect(run.stderr()).toBe('');
  }, 120_000);

  it('stops cleanly on Ctrl-C (SIGINT to the whole group), with a consumer running: no failure line', async () => {
    const port = await freePort();
    const handler = join(tempDir(), 'handler.mjs');
    writeFileSync(handler, 'export async function handler() { return { batchItemFailures: [] }; }\n');
    const run = npmStart(
      { PORT: String(port), POSTBOX_IN_MEMORY: '1' },
      ['--consumer', `jobs=${handler}#handler`],
      true,
    );
    const { url, tree } = await ready(run);
    expect((await call(`${url}/v1/queues/jobs`, 'PUT', {})).status).toBe(201);
    // The consumer is polling the queue and the timed work is sweeping: both need the store.
    await expect.poll(() => run.output(), { timeout: 10_000 }).toContain('Consumer of jobs');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const before = run.output().length;
    const stderrBefore = run.stderr().length;

    // Act: a terminal's Ctrl-C signals every process of the foreground group at once.
    process.kill(-(run.npm.pid ?? 0), 'SIGINT');

    // Assess: everything gone, and nothing after the stop line reads as a failure.
    await exitedWithin(run, 15_000);
    await expect
      .poll(() => tree.filter((pid) => isAlive(pid)), { timeout: 15_000, interval: 100 })
      .toEqual([]);
    expect(await portIsClosed(port)).toBe(true);
    const stop = run.output().slice(before);
    expect(stop).toContain('SIGINT: stopping Postbox');
    expect(stop.split('\n').filter((line) => failureLine.test(line))).toEqual([]);
    expect(run.stderr().slice(stderrBefore)).toBe('');
  }, 120_000);
});
