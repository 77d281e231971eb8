/**
 * Idle DynamoDB requests of the local server: the real `functions/local/main.ts` process (started
 * as package.json's `start` script starts it, without the console build step) on a fresh table,
 * with DYNAMODB_ENDPOINT pointing at a counting proxy (dynamo-proxy.ts) in front of the bench's
 * DynamoDB Local, over a table whose queues each hold one message delayed by an hour (as after a
 * restart). Then nothing is sent for a while: every request the proxy sees in that window is the
 * server's own timed work.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DynamoEngine } from '../functions/core/dynamo-engine';
import { ensureTable } from '../functions/core/table';
import { startCountingProxy, totalOf } from './dynamo-proxy';
import { dynamoClient } from './harness';
import { inParallel, round, sleep } from './stats';

export interface IdleSample {
  queues: number;
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  byCommand: Record<string, number>;
  /** From spawn to the end of the start-up pass (every queue run once): requests and seconds. */
  startupRequests: number;
  startupSeconds: number;
}

export interface IdleResults {
  samples: IdleSample[];
}

const repoRoot = join(__dirname, '..');

interface ServerProcess {
  child: ChildProcess;
  url: string;
  output(): string;
}

async function startServerProcess(env: Record<string, string>, timeoutMs: number): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'functions/local/main.ts'], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const end = performance.now() + timeoutMs;
  for (;;) {
    const match = /Postbox listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
    if (match?.[1]) return { child, url: match[1], output: () => output };
    if (child.exitCode !== null || performance.now() > end) {
      child.kill('SIGKILL');
      throw new Error(`the local server did not start:\n${output}`);
    }
    await sleep(50);
  }
}

async function stopServerProcess(server: ServerProcess): Promise<void> {
  if (server.child.exitCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Seeds `from`..`to`-1 queues, each with one message delayed by an hour, through the bench's own engine. */
async function seedQueues(engine: DynamoEngine, from: number, to: number): Promise<void> {
  let next = from;
  await inParallel(16, async () => {
    while (next < to) {
      const name = `idle-${next++}`;
      await engine.putQueue(name, {});
      await engine.publish(name, { body: { name }, delaySeconds: 3_600 });
    }
  });
}

/**
 * For each count in `queueCounts` (ascending): the table is grown to that many queues (each with a
 * message delayed by an hour), the server is started on it (its start-up pass runs every queue
 * once, counted apart), and then nothing is sent to it for `windowMs`: every request the proxy
 * counts then is the server's own. The server is stopped before the next count.
 */
export async function measureIdle(
  endpoint: string,
  queueCounts: number[],
  windowMs: number,
  /** How long to wait for the start-up pass's line (a server without one, such as an older one, is measured after it). */
  startupPassTimeoutMs = 120_000,
): Promise<IdleResults> {
  const proxy = await startCountingProxy(endpoint);
  const client = dynamoClient(endpoint);
  const tableName = `bench-idle-${randomUUID()}`;
  const samples: IdleSample[] = [];
  try {
    await ensureTable(client, tableName);
    const engine = new DynamoEngine({ client, tableName });
    let created = 0;
    for (const queues of queueCounts) {
      await seedQueues(engine, created, queues);
      created = queues;
      proxy.take();
      const started = performance.now();
      const server = await startServerProcess(
        {
          DYNAMODB_ENDPOINT: proxy.url,
          POSTBOX_TABLE: tableName,
          PORT: '0',
          AWS_EC2_METADATA_DISABLED: 'true',
        },
        120_000,
      );
      try {
        await waitFor(
          () => /Timed work: checked \d+ queues for due messages/.test(server.output()),
          startupPassTimeoutMs,
        );
        const startupRequests = totalOf(proxy.take());
        const startupSeconds = (performance.now() - started) / 1000;
        const from = performance.now();
        await sleep(windowMs);
        const byCommand = proxy.take();
        const seconds = (performance.now() - from) / 1000;
        const requests = totalOf(byCommand);
        samples.push({
          queues,
          seconds: round(seconds, 2),
          requests,
          requestsPerSecond: round(requests / seconds, 2),
          byCommand,
          startupRequests,
          startupSeconds: round(startupSeconds, 1),
        });
      } finally {
        await stopServerProcess(server);
      }
    }
    return { samples };
  } finally {
    client.destroy();
    await proxy.close();
  }
}

/** Polls `check` until it holds (true) or `ms` passed (false). */
async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  for (; performance.now() < end; await sleep(50)) if (check()) return true;
  return check();
}
