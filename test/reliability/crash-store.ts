/**
 * DynamoDB Local for the crash experiments (durability-probe.ts, crash-scenario.ts), started with
 * the very command line the local server runs (java.ts's dynamoDbLocalCommand: the bundled jar,
 * -sharedDb, -dbPath on disk, the setpriv parent-death wrapper) in the same working directory
 * (the data directory), on a free port, with its output drained as dynamodb-local.ts drains it.
 *
 * What differs from startDynamoDbLocal is the wait for its first answer: up to 180 s instead of
 * 30 s. On a machine shared by several test runs a JVM can take longer than 30 s to start (seen
 * here at a load average of 25 on 2 cores), and a start that gives up is not what these
 * experiments measure. The process is the same, so what it makes durable is the same.
 */
import { spawn } from 'node:child_process';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { freePort } from '../../functions/local/dynamodb-local';
import { dynamoDbLocalCommand } from '../../functions/local/java';

export interface CrashStore {
  endpoint: string;
  pid: number;
  dataDir: string;
  /** Milliseconds from spawn to the first answer. */
  startMs: number;
  exited: Promise<void>;
  /** SIGTERM, and waits for the exit. */
  stop(): Promise<void>;
  /** SIGKILL, now (for a test that timed out). */
  kill(): void;
}

export async function startCrashStore(dataDir: string, timeoutMs = 180_000): Promise<CrashStore> {
  const began = Date.now();
  const port = await freePort();
  const { command, args } = dynamoDbLocalCommand(port, dataDir);
  const child = spawn(command, args, { cwd: dataDir, stdio: ['ignore', 'pipe', 'pipe'] });
  // Drained: a full pipe would block the JVM.
  child.stdout?.resume();
  child.stderr?.resume();
  let gone = false;
  const exited = new Promise<void>((resolveExit) => {
    child.once('exit', () => {
      gone = true;
      resolveExit();
    });
    child.once('error', () => {
      gone = true;
      resolveExit();
    });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  try {
    for (;;) {
      if (gone) throw new Error('DynamoDB Local exited during start-up');
      if (Date.now() - began > timeoutMs)
        throw new Error(`DynamoDB Local did not answer within ${timeoutMs} ms`);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  } finally {
    client.destroy();
  }
  const stop = async () => {
    if (!gone) child.kill('SIGTERM');
    await exited;
  };
  const kill = () => {
    if (!gone) child.kill('SIGKILL');
  };
  return { endpoint, pid: child.pid ?? -1, dataDir, startMs: Date.now() - began, exited, stop, kill };
}
