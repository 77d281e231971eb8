/**
 * Runs the local server the way a user does (the command of package.json's `start` script) as a
 * child process, and keeps track of every process it leads to, so a failing test still leaves
 * none behind.
 *
 * The `tsx` CLI runs the script in a second node process and relays signals to it. Tests signal
 * `serverPid`, the node process that runs main.ts: a SIGKILL cannot be relayed at all, and tsx's
 * relay of SIGTERM gives the child 30 ms to acknowledge before it SIGKILLs it, which a loaded
 * machine misses.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inspectProcess, isAlive } from '../../functions/local/processes';

export const repoRoot = resolve(__dirname, '..', '..');

/** The environment variables main.ts reads; the test's own values never leak into a server. */
const serverVariables = [
  'PORT',
  'POSTBOX_DATA_DIR',
  'POSTBOX_IN_MEMORY',
  'DYNAMODB_ENDPOINT',
  'POSTBOX_TABLE',
  'POSTBOX_TOKEN',
];

/**
 * package.json's `start` command with node's absolute path in front, so it needs no PATH:
 * `tsx X` becomes `node …/tsx/dist/cli.mjs X` (what the `.bin/tsx` link runs), `node A` stays.
 */
export function startCommand(): { file: string; args: string[] } {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    scripts: { start: string };
  };
  // `exec` only makes the shell npm runs the script in give way to node (so signals reach it).
  const [program, ...args] = pkg.scripts.start
    .trim()
    .replace(/^exec\s+/, '')
    .split(/\s+/);
  if (program === 'node') return { file: process.execPath, args };
  if (program === 'tsx')
    return { file: process.execPath, args: [join(repoRoot, 'node_modules/tsx/dist/cli.mjs'), ...args] };
  throw new Error(`unexpected start script: ${pkg.scripts.start}`);
}

export interface ServerProcess {
  child: ChildProcess;
  /** The process started (tsx, or the server itself). */
  pid: number;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface RunningServer extends ServerProcess {
  url: string;
  readyLine: string;
  /** The node process running main.ts (`pid` itself when no tsx CLI is in between). */
  serverPid: number;
  /** DynamoDB Local's pid (a descendant whose command line names DynamoDBLocal). */
  dynamoPid: number | undefined;
}

const everyPid = new Set<number>();

/** Starts the server; does not wait for it. */
export function spawnServer(env: Record<string, string>): ServerProcess {
  const base = { ...process.env };
  for (const name of serverVariables) delete base[name];
  const { file, args } = startCommand();
  const child = spawn(file, args, {
    cwd: repoRoot,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid) everyPid.add(child.pid);
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    child.once('exit', (code, signal) => resolveExit({ code, signal }));
  });
  return { child, pid: child.pid ?? -1, stdout: () => out, stderr: () => err, exited };
}

/** Starts the server and waits for its ready line, for at most `timeoutMs`. */
export async function startServer(env: Record<string, string>, timeoutMs = 60_000): Promise<RunningServer> {
  const server = spawnServer(env);
  const deadline = Date.now() + timeoutMs;
  let exitedEarly = false;
  void server.exited.then(() => {
    exitedEarly = true;
  });
  for (;;) {
    const match = /^Postbox listening on (http:\/\/127\.0\.0\.1:\d+).*$/m.exec(server.stdout());
    if (match?.[1]) {
      const tree = [server.pid, ...descendants(server.pid)];
      for (const pid of tree) everyPid.add(pid);
      const serverPid = [...tree]
        .reverse()
        .find((pid) => inspectProcess(pid)?.commandLine.includes('main.ts'));
      const dynamoPid = tree.find((pid) => inspectProcess(pid)?.commandLine.includes('DynamoDBLocal'));
      if (serverPid === undefined) throw new Error(`no node process runs main.ts under tsx (pids ${tree})`);
      return { ...server, url: match[1], readyLine: match[0], serverPid, dynamoPid };
    }
    if (exitedEarly || Date.now() > deadline) {
      // Killing tsx alone would orphan the node process running main.ts.
      killTrees([server.pid]);
      throw new Error(
        `server ${exitedEarly ? 'exited' : 'was not ready in time'}\nstdout:\n${server.stdout()}\nstderr:\n${server.stderr()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every live descendant of `pid`, parents before children (Linux /proc). */
export function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const info = inspectProcess(Number(entry));
    if (!info) continue;
    parents.set(info.ppid, [...(parents.get(info.ppid) ?? []), info.pid]);
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of parents.get(queue.shift() ?? -1) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** Resolves with the exit, or rejects after `timeoutMs`. */
export async function exitWithin(
  server: ServerProcess,
  timeoutMs: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`server did not exit within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([server.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function readPid(file: string): number | undefined {
  try {
    return Number.parseInt(readFileSync(file, 'utf8'), 10);
  } catch {
    return undefined;
  }
}

/**
 * For afterAll: SIGKILL every process any server of this file started that is still alive,
 * descendants included (a tsx whose server never became ready has a node child nobody recorded).
 */
export function killEverything(): void {
  killTrees([...everyPid]);
  everyPid.clear();
}

function killTrees(roots: number[]): void {
  const pids = new Set<number>();
  for (const pid of roots) {
    pids.add(pid);
    if (isAlive(pid)) for (const child of descendants(pid)) pids.add(child);
  }
  for (const pid of pids) {
    // Pids are reused: only what still looks like ours.
    if (!/tsx|main\.ts|DynamoDBLocal/.test(inspectProcess(pid)?.commandLine ?? '')) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

export function stillAlive(pid: number | undefined): boolean {
  return pid !== undefined && isAlive(pid);
}

/** `fetch` to the server with a bound on time (`timeoutMs`, 15 s unless given). */
export async function call(
  url: string,
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
  timeoutMs = 15_000,
): Promise<{ status: number; json: unknown }> {
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}
