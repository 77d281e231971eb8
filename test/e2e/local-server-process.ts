/**
 * Runs the local server the way a user does (`tsx functions/local/main.ts`) as a child process,
 * and keeps track of every process it leads to, so a failing test still leaves none behind.
 *
 * tsx runs the script in a second node process and relays signals to it; a SIGKILL cannot be
 * relayed, so crash tests kill `serverPid` (the node process running main.ts), not `pid`.
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

export interface ServerProcess {
  child: ChildProcess;
  /** The tsx process. */
  pid: number;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface RunningServer extends ServerProcess {
  url: string;
  readyLine: string;
  /** The node process running main.ts. */
  serverPid: number;
  /** DynamoDB Local's pid (a descendant whose command line names DynamoDBLocal). */
  dynamoPid: number | undefined;
}

const everyPid = new Set<number>();

/**
 * Starts the server; does not wait for it. `command` lets a test run tsx's CLI through node
 * directly, for a PATH without java.
 */
export function spawnServer(
  env: Record<string, string>,
  command?: { file: string; args: string[] },
): ServerProcess {
  const base = { ...process.env };
  for (const name of serverVariables) delete base[name];
  const file = command?.file ?? join(repoRoot, 'node_modules', '.bin', 'tsx');
  const args = command?.args ?? ['functions/local/main.ts'];
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
      const tree = descendants(server.pid);
      for (const pid of tree) everyPid.add(pid);
      const serverPid = tree.find((pid) => inspectProcess(pid)?.commandLine.includes('main.ts'));
      const dynamoPid = tree.find((pid) => inspectProcess(pid)?.commandLine.includes('DynamoDBLocal'));
      if (serverPid === undefined) throw new Error(`no node process runs main.ts under tsx (pids ${tree})`);
      return { ...server, url: match[1], readyLine: match[0], serverPid, dynamoPid };
    }
    if (exitedEarly || Date.now() > deadline) {
      server.child.kill('SIGKILL');
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

/** For afterAll: SIGKILL every process any server of this file started that is still alive. */
export function killEverything(): void {
  for (const pid of everyPid) {
    const info = inspectProcess(pid);
    if (!info) continue;
    if (!/tsx|main\.ts|DynamoDBLocal/.test(info.commandLine)) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  everyPid.clear();
}

export function stillAlive(pid: number | undefined): boolean {
  return pid !== undefined && isAlive(pid);
}

/** `fetch` to the server with a bound on time. */
export async function call(
  url: string,
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: unknown }> {
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}
