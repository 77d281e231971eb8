/**
 * The DynamoDB Local child and its pid file, on real DynamoDB Local processes. Every process a
 * test starts is stopped in afterEach, also when the test failed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { type DynamoDbLocal, freePort, startDynamoDbLocal } from '../../functions/local/dynamodb-local';
import { dynamoDbLocalCommand } from '../../functions/local/java';
import { DataDirInUseError, PID_FILE_NAME, readPidFile } from '../../functions/local/pid-file';
import { isAlive, terminate } from '../../functions/local/processes';

const started: DynamoDbLocal[] = [];
const strays: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((dynamo) => dynamo.stop()));
  await Promise.all(strays.splice(0).map((child) => (child.pid ? terminate(child.pid, 2_000) : undefined)));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'postbox-ddb-')));
  dirs.push(dir);
  return dir;
}

async function start(options: Parameters<typeof startDynamoDbLocal>[0]): Promise<DynamoDbLocal> {
  const dynamo = await startDynamoDbLocal(options);
  started.push(dynamo);
  return dynamo;
}

async function answers(endpoint: string): Promise<boolean> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  try {
    await client.send(new ListTablesCommand({}));
    return true;
  } catch {
    return false;
  } finally {
    client.destroy();
  }
}

/** A pid that surely belongs to no running process: one that has just exited. */
async function deadPid(): Promise<number> {
  const child = spawn('true');
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid ?? 999_999;
}

// Each test starts one or two JVMs: seconds each, more on a busy machine.
describe('startDynamoDbLocal', { timeout: 120_000 }, () => {
  it('records the child in the pid file and removes the file on stop', async () => {
    const dataDir = tempDir();
    const dynamo = await start({ dataDir });
    expect(await answers(dynamo.endpoint)).toBe(true);
    expect(readPidFile(dataDir)).toEqual({ pid: dynamo.pid, ownerPid: process.pid });
    await dynamo.stop();
    expect(isAlive(dynamo.pid)).toBe(false);
    expect(existsSync(join(dataDir, PID_FILE_NAME))).toBe(false);
    expect(readdirSync(dataDir)).toContain('shared-local-instance.db');
  });

  it('writes no file in memory', async () => {
    const dataDir = join(tempDir(), 'unused');
    const dynamo = await start({ inMemory: true, dataDir });
    expect(await answers(dynamo.endpoint)).toBe(true);
    expect(dynamo.dataDir).toBeUndefined();
    expect(existsSync(dataDir)).toBe(false);
  });

  it('stops a stale DynamoDB Local recorded in the pid file before starting its own', async () => {
    // Prepare: a DynamoDB Local on the directory whose recorded owner is gone, as after a SIGKILL.
    const dataDir = tempDir();
    const stalePort = await freePort();
    const { command, args } = dynamoDbLocalCommand(stalePort, dataDir);
    const stale = spawn(command, args, { cwd: dataDir, stdio: 'ignore' });
    strays.push(stale);
    const stalePid = stale.pid ?? -1;
    writeFileSync(join(dataDir, PID_FILE_NAME), `${stalePid}\n${await deadPid()}\n`);
    await expect
      .poll(() => answers(`http://127.0.0.1:${stalePort}`), { timeout: 30_000, interval: 200 })
      .toBe(true);

    // Act
    const dynamo = await start({ dataDir });

    // Assess
    expect(dynamo.staleStopped).toBe(stalePid);
    expect(isAlive(stalePid)).toBe(false);
    expect(await answers(dynamo.endpoint)).toBe(true);
    expect(readPidFile(dataDir)?.pid).toBe(dynamo.pid);
  });

  it('leaves alone a recorded pid that is not a DynamoDB Local', async () => {
    const dataDir = tempDir();
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    strays.push(other);
    writeFileSync(join(dataDir, PID_FILE_NAME), `${other.pid}\n${await deadPid()}\n`);
    const dynamo = await start({ dataDir });
    expect(dynamo.staleStopped).toBeUndefined();
    expect(isAlive(other.pid ?? -1)).toBe(true);
    expect(readPidFile(dataDir)?.pid).toBe(dynamo.pid);
  });

  it('refuses a data directory that a running owner still uses', async () => {
    const dataDir = tempDir();
    const first = await start({ dataDir });
    await expect(startDynamoDbLocal({ dataDir })).rejects.toThrow(DataDirInUseError);
    expect(await answers(first.endpoint)).toBe(true);
    expect(readPidFile(dataDir)?.pid).toBe(first.pid);
  });

  it('refuses a chosen port that is taken', async () => {
    const first = await start({ inMemory: true });
    await expect(startDynamoDbLocal({ inMemory: true, port: first.port })).rejects.toThrow(/already in use/);
  });

  it('keeps data across a restart on the same directory', async () => {
    const dataDir = tempDir();
    const first = await start({ dataDir });
    const client = new DynamoDBClient({
      endpoint: first.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'other', secretAccessKey: 'other' },
    });
    await client.send(
      new CreateTableCommand({
        TableName: 'kept',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
    client.destroy();
    await first.stop();

    const second = await start({ dataDir });
    const again = new DynamoDBClient({
      endpoint: second.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    // Other keys than the first client's: -sharedDb keeps one database whatever the credentials.
    const { TableNames } = await again.send(new ListTablesCommand({}));
    again.destroy();
    expect(TableNames).toContain('kept');
  });
});
