/**
 * The local server and its DynamoDB Local both killed with SIGKILL at the same moment, under load
 * (producers and consumers at work), then restarted on the same data directory:
 * every publish that was answered 2xx is delivered after the restart unless its ack was answered
 * 204 before the kill, and no message whose ack was answered 204 comes back.
 *
 * test/e2e/local-server.test.ts kills the server alone (its DynamoDB Local survives and is
 * stopped cleanly by the restart); here the store itself dies without a chance to flush.
 */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { freePort } from '../../functions/local/dynamodb-local';
import { call, exitWithin, killEverything, startServer } from '../e2e/local-server-process';

const dirs: string[] = [];

afterAll(() => {
  killEverything();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface Delivered {
  id: string;
  body: { n: number };
  receipt: string;
}

it('every 2xx publish survives SIGKILL of the server and DynamoDB Local under load', async () => {
  const dataDir = realpathSync(mkdtempSync(join(tmpdir(), 'postbox-crash-')));
  dirs.push(dataDir);
  const env = { PORT: String(await freePort()), POSTBOX_DATA_DIR: dataDir };
  const first = await startServer(env);
  expect(first.dynamoPid).toBeDefined();
  const q = `${first.url}/v1/queues/crash`;
  expect((await call(q, 'PUT', { visibilityTimeoutSeconds: 5 })).status).toBe(201);

  const published = new Map<string, number>();
  const acked = new Set<string>();
  let stop = false;
  let next = 0;
  const producer = async () => {
    while (!stop) {
      const n = next++;
      try {
        const answer = await call(`${q}/messages`, 'POST', { body: { n } });
        if (answer.status === 201) published.set((answer.json as { id: string }).id, n);
      } catch {
        return; // killed mid-request: this one may or may not have been stored
      }
    }
  };
  const consumer = async () => {
    while (!stop) {
      try {
        const answer = await call(`${q}/receive`, 'POST', { maxMessages: 5 });
        for (const message of (answer.json as { messages: Delivered[] }).messages ?? []) {
          const ack = await call(`${q}/ack`, 'POST', { receipt: message.receipt });
          if (ack.status === 204) acked.add(message.id);
        }
      } catch {
        return;
      }
    }
  };
  const load = Promise.all([producer(), producer(), producer(), consumer()]);
  await expect.poll(() => published.size, { timeout: 60_000, interval: 20 }).toBeGreaterThanOrEqual(60);
  expect(acked.size).toBeGreaterThan(0);
  // Both at once, mid-load: neither gets to clean up or flush.
  process.kill(first.dynamoPid as number, 'SIGKILL');
  process.kill(first.serverPid, 'SIGKILL');
  stop = true;
  await load;
  await exitWithin(first, 10_000);

  const second = await startServer(env);
  const delivered = new Map<string, number>();
  const base = `${second.url}/v1/queues/crash`;
  for (let round = 0, empty = 0; round < 200 && empty < 2; round++) {
    // Messages leased before the kill come back once their 5 s lease has run out.
    const answer = await call(`${base}/receive`, 'POST', { maxMessages: 10, waitSeconds: empty ? 6 : 1 });
    expect(answer.status).toBe(200);
    const messages = (answer.json as { messages: Delivered[] }).messages;
    empty = messages.length === 0 ? empty + 1 : 0;
    for (const message of messages) {
      delivered.set(message.id, message.body.n);
      expect((await call(`${base}/ack`, 'POST', { receipt: message.receipt })).status).toBe(204);
    }
  }

  const missing = [...published.keys()].filter((id) => !acked.has(id) && !delivered.has(id));
  const resurrected = [...acked].filter((id) => delivered.has(id));
  expect({ missing, resurrected }).toEqual({ missing: [], resurrected: [] });
  // Not vacuous: some published messages were still in the queue when both processes died.
  expect([...published.keys()].filter((id) => !acked.has(id)).length).toBeGreaterThan(0);
  process.kill(second.serverPid, 'SIGTERM');
  await exitWithin(second, 20_000);
}, 240_000);
