/**
 * The local consumers' state as GET /v1/consumers answers it (consumer-status.ts, kept by the
 * runner in consumers.ts), and their deliveries and acks in the shared rate meter: the app and the
 * runner on one engine on DynamoDB Local, in process, as main.ts wires them.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../functions/api/app';
import { meteredEngine, RateMeter } from '../../functions/api/rates';
import { DynamoEngine } from '../../functions/core/dynamo-engine';
import { toConsumer } from '../../functions/dispatcher/consumer';
import { type Handler, type LocalConsumers, startConsumers } from '../../functions/local/consumers';
import { freshTable } from '../support/dynamo';
import { queueName } from '../support/engine';

let engine: DynamoEngine;
let running: LocalConsumers | undefined;

beforeAll(async () => {
  const table = await freshTable();
  engine = new DynamoEngine({ client: table.client, tableName: table.tableName });
});

afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function until<T>(check: () => T | undefined | false | Promise<T | undefined | false>, ms = 20_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('GET /v1/consumers with the local runner', { timeout: 60_000 }, () => {
  it('shows each consumer idle, running, failing and stopped, with its counts, and counts its deliveries and acks in the rates', async () => {
    const queue = queueName('status');
    let open: () => void = () => undefined;
    const gate = () =>
      new Promise<void>((resolveGate) => {
        open = resolveGate;
      });
    let waiting = gate();
    const handler: Handler = async (event: { Records: { body: string }[] }) => {
      if (event.Records.some((record) => record.body.includes('bad'))) throw new Error('bad order');
      await waiting;
    };
    const rates = new RateMeter();
    running = await startConsumers({
      engine: meteredEngine(engine, rates),
      consumers: [toConsumer(queue, 'orders.ts#handler', { batchSize: 2, concurrency: 1 })],
      load: async () => handler,
      // A failed message stays away: the state is read while nothing runs.
      retryDelay: () => 600,
      waitSeconds: 1,
      log: () => undefined,
    });
    const current = running;
    const app = createApp({ engine, rates, consumers: () => current.status() });
    // biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field
    type Answer = { consumers: any[] };
    const consumers = async () => ((await (await app.request('/v1/consumers')).json()) as Answer).consumers;

    // The queue does not exist yet: every receive fails.
    const [missing] = await until(async () => {
      const list = await consumers();
      return list[0]?.state === 'failing' ? list : undefined;
    });
    expect(missing).toMatchObject({
      queue,
      handler: 'orders.ts#handler',
      batchSize: 2,
      concurrency: 1,
      visibilityTimeoutSeconds: 30,
      handled: 0,
      failed: 0,
      lastError: { message: expect.stringContaining('QueueNotFound') },
    });

    await engine.putQueue(queue, {});
    await until(async () => (await consumers())[0]?.state === 'idle');

    await app.request(`/v1/queues/${queue}/messages`, {
      method: 'POST',
      body: JSON.stringify({ body: 'good' }),
    });
    const [busy] = await until(async () => {
      const list = await consumers();
      return list[0]?.state === 'running' ? list : undefined;
    });
    expect(busy).toMatchObject({ batchesInFlight: 1, lastBatchAt: expect.any(String) });
    open();
    const [done] = await until(async () => {
      const list = await consumers();
      return list[0]?.handled === 1 && list[0]?.state === 'idle' ? list : undefined;
    });
    expect(done.failed).toBe(0);

    waiting = Promise.resolve();
    const before = Date.now();
    await app.request(`/v1/queues/${queue}/messages`, {
      method: 'POST',
      body: JSON.stringify({ body: 'bad' }),
    });
    const [failing] = await until(async () => {
      const list = await consumers();
      return list[0]?.failed >= 1 && list[0]?.state === 'failing' ? list : undefined;
    });
    expect(failing.lastError.message).toBe('Error: bad order');
    expect(Date.parse(failing.lastError.at)).toBeGreaterThanOrEqual(before - 5);

    // The consumers' deliveries and acks, and the app's publishes, in one meter.
    const answer = (await (await app.request(`/v1/queues/${queue}/rates`)).json()) as {
      published: { total: number };
      delivered: { total: number };
      acked: { total: number };
    };
    expect(answer.published.total).toBe(2);
    expect(answer.delivered.total).toBeGreaterThanOrEqual(2);
    expect(answer.acked.total).toBe(1);

    await current.stop();
    running = undefined;
    expect((await consumers()).map((consumer: { state: string }) => consumer.state)).toEqual(['stopped']);
  });
});
