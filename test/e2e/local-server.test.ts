/**
 * The local server as a user runs it (`tsx functions/local/main.ts`), over HTTP on 127.0.0.1,
 * on its own DynamoDB Local (docs/api.md, "Local server").
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../functions/local/dynamodb-local';
import { PID_FILE_NAME, readPidFile } from '../../functions/local/pid-file';
import {
  call,
  exitWithin,
  killEverything,
  spawnServer,
  startServer,
  stillAlive,
} from './local-server-process';

const dirs: string[] = [];
const blockers: Server[] = [];

afterAll(async () => {
  killEverything();
  for (const blocker of blockers) blocker.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'postbox-e2e-')));
  dirs.push(dir);
  return dir;
}

interface Delivered {
  id: string;
  body: { n: number };
  receipt: string;
}

/** Receives with manual ack and acks each batch, until a receive comes back empty. */
async function drain(url: string, queue: string): Promise<Delivered[]> {
  const all: Delivered[] = [];
  for (let round = 0; round < 100; round++) {
    const { status, json } = await call(`${url}/v1/queues/${queue}/receive`, 'POST', { maxMessages: 10 });
    expect(status).toBe(200);
    const messages = (json as { messages: Delivered[] }).messages;
    if (messages.length === 0) return all;
    all.push(...messages);
    const ack = await call(`${url}/v1/queues/${queue}/ack`, 'POST', {
      receipts: messages.map((message) => message.receipt),
    });
    expect(ack.status).toBe(200);
    expect((ack.json as { results: { ok?: boolean }[] }).results.every((result) => result.ok)).toBe(true);
  }
  throw new Error('queue did not drain in 100 receives');
}

describe('local server', () => {
  it('keeps every acknowledged publish across a SIGKILL and a restart, delivered exactly once', async () => {
    // Prepare: a server on a fresh data directory with a queue.
    const dataDir = tempDir();
    const env = { PORT: String(await freePort()), POSTBOX_DATA_DIR: dataDir };
    const first = await startServer(env);
    expect(first.readyLine).toContain(`data in ${dataDir}`);
    expect((await call(`${first.url}/v1/health`, 'GET')).json).toEqual({ status: 'ok' });
    expect((await call(`${first.url}/v1/queues/q`, 'PUT', {})).status).toBe(201);
    const stalePid = readPidFile(dataDir)?.pid;
    expect(stalePid).toBe(first.dynamoPid);

    // Act: 50 publishes, 5 at a time; the server is killed while some are still under way.
    const accepted = new Map<string, number>();
    let next = 0;
    let answered = 0;
    const publisher = async () => {
      while (next < 50) {
        const n = next++;
        try {
          const { status, json } = await call(`${first.url}/v1/queues/q/messages`, 'POST', { body: { n } });
          if (status >= 200 && status < 300) accepted.set((json as { id: string }).id, n);
          answered++;
        } catch {
          // Killed mid-request: this publish may or may not have been stored.
        }
      }
    };
    const publishing = Promise.all(Array.from({ length: 5 }, publisher));
    await expect.poll(() => answered, { timeout: 30_000, interval: 5 }).toBeGreaterThanOrEqual(30);
    // On Linux the kernel would SIGTERM DynamoDB Local as its parent dies. SIGSTOP keeps it alive
    // (the signal stays pending), as on a platform without a parent-death signal, so the restart
    // has to find it through the pid file and stop it.
    process.kill(stalePid ?? -1, 'SIGSTOP');
    process.kill(first.serverPid, 'SIGKILL');
    await publishing;
    await exitWithin(first, 10_000);
    expect(stillAlive(stalePid)).toBe(true);
    expect(accepted.size).toBeGreaterThanOrEqual(30);

    // Act: restart on the same directory.
    const second = await startServer(env);

    // Assess: the stale DynamoDB Local is gone, and every acknowledged message comes once.
    expect(stillAlive(stalePid)).toBe(false);
    expect(second.stdout()).toContain(
      `Stopped DynamoDB Local (pid ${stalePid}) left running by an earlier Postbox`,
    );
    expect(readPidFile(dataDir)?.pid).toBe(second.dynamoPid);
    const delivered = await drain(second.url, 'q');
    const ids = delivered.map((message) => message.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const [id, n] of accepted) {
      expect(delivered.find((message) => message.id === id)?.body).toEqual({ n });
    }
    // Publishes cut off by the kill may have been stored; nothing else may appear.
    for (const message of delivered) expect(message.body.n).toBeLessThan(50);
    const queue = await call(`${second.url}/v1/queues/q`, 'GET');
    expect((queue.json as { counts: { total: number } }).counts.total).toBe(0);

    // Act: SIGTERM.
    const dynamoPid = second.dynamoPid;
    process.kill(second.serverPid, 'SIGTERM');

    // Assess: exit 0, DynamoDB Local gone, pid file removed, data kept.
    expect(await exitWithin(second, 20_000)).toEqual({ code: 0, signal: null });
    expect(stillAlive(dynamoPid)).toBe(false);
    expect(stillAlive(second.serverPid)).toBe(false);
    expect(existsSync(join(dataDir, PID_FILE_NAME))).toBe(false);
    expect(readdirSync(dataDir)).toContain('shared-local-instance.db');
  }, 180_000);

  it('asks for the token everywhere but /v1/health, and keeps nothing on disk in memory', async () => {
    const dataDir = join(tempDir(), 'data');
    const server = await startServer({
      PORT: String(await freePort()),
      POSTBOX_DATA_DIR: dataDir,
      POSTBOX_IN_MEMORY: '1',
      POSTBOX_TOKEN: 's3cret',
    });
    expect(server.readyLine).toContain('in memory');
    const auth = { authorization: 'Bearer s3cret' };

    expect(await call(`${server.url}/v1/health`, 'GET')).toEqual({ status: 200, json: { status: 'ok' } });
    const anonymous = await call(`${server.url}/v1/queues`, 'GET');
    expect(anonymous.status).toBe(401);
    expect(anonymous.json).toMatchObject({ error: { code: 'Unauthorized' } });
    expect(
      (await call(`${server.url}/v1/queues/q`, 'PUT', {}, { authorization: 'Bearer wrong' })).status,
    ).toBe(401);
    expect((await call(`${server.url}/v1/nowhere`, 'GET')).status).toBe(401);

    expect((await call(`${server.url}/v1/queues/q`, 'PUT', {}, auth)).status).toBe(201);
    const published = await call(`${server.url}/v1/queues/q/messages`, 'POST', { body: 'hi' }, auth);
    expect(published.status).toBe(201);
    const received = await call(`${server.url}/v1/queues/q/receive`, 'POST', { ack: 'auto' }, auth);
    expect(received.json).toMatchObject({ messages: [{ body: 'hi' }] });

    process.kill(server.serverPid, 'SIGTERM');
    expect(await exitWithin(server, 20_000)).toEqual({ code: 0, signal: null });
    expect(stillAlive(server.dynamoPid)).toBe(false);
    expect(existsSync(dataDir)).toBe(false);
  }, 120_000);

  it('logs exactly one ready line', async () => {
    const server = await startServer({ PORT: String(await freePort()), POSTBOX_IN_MEMORY: '1' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(server.stdout().match(/Postbox listening on/g)).toHaveLength(1);
    expect(server.readyLine).toMatch(
      /^Postbox listening on http:\/\/127\.0\.0\.1:\d+ \(DynamoDB Local on port \d+, in memory\)$/,
    );
    process.kill(server.serverPid, 'SIGINT');
    expect(await exitWithin(server, 20_000)).toEqual({ code: 0, signal: null });
    expect(stillAlive(server.dynamoPid)).toBe(false);
  }, 120_000);

  it('uses DYNAMODB_ENDPOINT and POSTBOX_TABLE instead of starting DynamoDB Local', async () => {
    const endpoint = inject('dynamoEndpoint');
    const tableName = `e2e-${randomUUID()}`;
    const dataDir = join(tempDir(), 'data');
    const server = await startServer({
      PORT: String(await freePort()),
      DYNAMODB_ENDPOINT: endpoint,
      POSTBOX_TABLE: tableName,
      POSTBOX_DATA_DIR: dataDir,
    });
    expect(server.readyLine).toContain(`(DynamoDB at ${endpoint}, table ${tableName})`);
    expect(server.dynamoPid).toBeUndefined();
    expect((await call(`${server.url}/v1/queues/q`, 'PUT', {})).status).toBe(201);
    const client = new DynamoDBClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const { TableNames } = await client.send(new ListTablesCommand({}));
    client.destroy();
    expect(TableNames).toContain(tableName);

    process.kill(server.serverPid, 'SIGTERM');
    expect(await exitWithin(server, 20_000)).toEqual({ code: 0, signal: null });
    expect(existsSync(dataDir)).toBe(false);
  }, 120_000);

  it('stops with exit code 1 when its DynamoDB Local dies', async () => {
    const server = await startServer({ PORT: String(await freePort()), POSTBOX_IN_MEMORY: '1' });
    process.kill(server.dynamoPid ?? -1, 'SIGKILL');
    expect((await exitWithin(server, 20_000)).code).toBe(1);
    expect(server.stderr()).toContain('DynamoDB Local exited unexpectedly (SIGKILL); stopping Postbox');
  }, 120_000);

  it('fails fast with a clear message when the port is taken', async () => {
    const port = await freePort();
    const blocker = createServer();
    blockers.push(blocker);
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    const dataDir = join(tempDir(), 'data');

    const server = spawnServer({ PORT: String(port), POSTBOX_DATA_DIR: dataDir });

    expect((await exitWithin(server, 30_000)).code).toBe(1);
    expect(server.stderr()).toContain(`Port ${port} on 127.0.0.1 is already in use`);
    // It failed before starting DynamoDB Local.
    expect(existsSync(dataDir)).toBe(false);
  }, 60_000);

  it('fails fast with a clear message when Java is missing', async () => {
    // The command runs node by its absolute path, so it needs no PATH; java does.
    const server = spawnServer({
      PORT: String(await freePort()),
      POSTBOX_IN_MEMORY: '1',
      PATH: '/nonexistent',
    });
    expect((await exitWithin(server, 30_000)).code).toBe(1);
    expect(server.stderr()).toContain('Java 17+ is needed to run DynamoDB Local');
  }, 60_000);
});
