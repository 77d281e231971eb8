/** Draining a consumer under its concurrency limit, in one process and across dispatchers sharing the table. */
import { beforeAll, describe, expect, it } from 'vitest';
import type { DynamoEngine } from '../../functions/core/dynamo-engine';
import { Store } from '../../functions/core/store';
import { type Consumer, toConsumer } from '../../functions/dispatcher/consumer';
import type { DispatchDeps, Invoker } from '../../functions/dispatcher/dispatch';
import { drain } from '../../functions/dispatcher/drain';
import { type ConcurrencyLimiter, DynamoSlots, InProcessSlots } from '../../functions/dispatcher/slots';
import { queueName, testEngine } from '../support/engine';

let engine: DynamoEngine;
let store: Store;

beforeAll(async () => {
  // A real clock: slots and leases are compared with the time the handlers take.
  const test = await testEngine(Object.assign(() => Date.now(), { advance() {}, set() {} }));
  engine = test.engine;
  store = new Store(test.client, test.tableName);
});

/**
 * A handler that records how many batches ran at once. It takes `ms`, or, with `waitFor`, holds
 * each batch until that many run at once (at most 3 s), so the peak does not depend on the
 * machine's speed.
 */
function trackingInvoker(ms: number, waitFor = 0) {
  const state = { running: 0, peak: 0, messages: 0 };
  const invoke: Invoker = async (_consumer, event) => {
    state.running++;
    state.peak = Math.max(state.peak, state.running);
    const until = Date.now() + 3_000;
    do await new Promise((resolve) => setTimeout(resolve, ms));
    while (state.peak < waitFor && Date.now() < until);
    state.messages += event.Records.length;
    state.running--;
  };
  return { state, invoke };
}

async function backlog(
  count: number,
  options: { batchSize: number; concurrency: number },
): Promise<Consumer> {
  const queue = queueName('d');
  await engine.putQueue(queue, {});
  await engine.publishBatch(
    queue,
    Array.from({ length: count }, (_, n) => ({ body: n })),
  );
  return toConsumer(queue, 'fn', { ...options, visibilityTimeoutSeconds: 30 });
}

const deps = (invoke: Invoker): DispatchDeps => ({
  engine,
  invoke,
  source: { region: 'local', account: '0' },
});
const always = () => true;

describe('drain', () => {
  it('invokes no consumer of a paused queue, and drains it once resumed', async () => {
    const consumer = await backlog(4, { batchSize: 2, concurrency: 2 });
    await engine.pauseQueue(consumer.queue);
    const { state, invoke } = trackingInvoker(1);
    const paused = await drain(deps(invoke), consumer, { limiter: new InProcessSlots(), hasTimeFor: always });
    expect(paused).toEqual({ batches: 0, messages: 0 });
    expect(state.messages).toBe(0);
    expect((await engine.getQueue(consumer.queue)).counts).toMatchObject({ ready: 4, inFlight: 0 });

    await engine.resumeQueue(consumer.queue);
    const resumed = await drain(deps(invoke), consumer, {
      limiter: new InProcessSlots(),
      hasTimeFor: always,
    });
    expect(resumed).toEqual({ batches: 2, messages: 4 });
    expect((await engine.getQueue(consumer.queue)).counts.total).toBe(0);
  });

  it('delivers a backlog with at most `concurrency` batches at once', async () => {
    const consumer = await backlog(12, { batchSize: 2, concurrency: 3 });
    const { state, invoke } = trackingInvoker(10, 3);
    const result = await drain(deps(invoke), consumer, { limiter: new InProcessSlots(), hasTimeFor: always });

    expect(result).toEqual({ batches: 6, messages: 12 });
    expect(state.messages).toBe(12);
    expect(state.peak).toBe(3);
    expect((await engine.getQueue(consumer.queue)).counts.total).toBe(0);
  });

  it('uses one slot and one receive on a quiet queue', async () => {
    const consumer = await backlog(1, { batchSize: 10, concurrency: 5 });
    const { state, invoke } = trackingInvoker(1);
    const result = await drain(deps(invoke), consumer, { limiter: new InProcessSlots(), hasTimeFor: always });
    expect(result).toEqual({ batches: 1, messages: 1 });
    expect(state.peak).toBe(1);
  });

  it('starts nothing when there is no time left', async () => {
    const consumer = await backlog(3, { batchSize: 1, concurrency: 1 });
    const { state, invoke } = trackingInvoker(1);
    await drain(deps(invoke), consumer, { limiter: new InProcessSlots(), hasTimeFor: () => false });
    expect(state.messages).toBe(0);
  });

  it('keeps the limit across dispatchers that share the table (DynamoDB slots)', async () => {
    const consumer = await backlog(16, { batchSize: 1, concurrency: 2 });
    const { state, invoke } = trackingInvoker(30);
    const dispatcher = () => new DynamoSlots(store, Date.now, () => 60_000);
    const results = await Promise.all(
      [dispatcher(), dispatcher(), dispatcher(), dispatcher()].map((limiter) =>
        drain(deps(invoke), consumer, { limiter, hasTimeFor: always }),
      ),
    );
    expect(results.reduce((sum, result) => sum + result.messages, 0)).toBe(16);
    expect(state.peak).toBeLessThanOrEqual(2);
    expect((await engine.getQueue(consumer.queue)).counts.total).toBe(0);
  });
});

describe('slots', () => {
  const consumer = (concurrency: number) => toConsumer(queueName('s'), 'fn', { concurrency });

  for (const [name, make] of [
    ['InProcessSlots', () => new InProcessSlots()],
    ['DynamoSlots', () => new DynamoSlots(store, Date.now, () => 60_000)],
  ] as [string, () => ConcurrencyLimiter][]) {
    it(`${name}: gives out at most concurrency slots, and tells a releaser that someone was refused`, async () => {
      const limiter = make();
      const c = consumer(2);
      const [a, b] = [await limiter.acquire(c), await limiter.acquire(c)];
      expect(a && b).toBeTruthy();
      expect(await limiter.acquire(c)).toBeUndefined();
      expect(await a?.release()).toBe(true);
      const again = await limiter.acquire(c);
      expect(again).toBeDefined();
      expect(await b?.release()).toBe(false);
      expect(await again?.release()).toBe(false);
    });
  }

  it('DynamoSlots: a holder past its time (a crashed dispatcher) does not count', async () => {
    let now = Date.now();
    const limiter = new DynamoSlots(
      store,
      () => now,
      () => 1_000,
    );
    const c = consumer(1);
    expect(await limiter.acquire(c)).toBeDefined();
    expect(await limiter.acquire(c)).toBeUndefined();
    now += 1_001;
    expect(await limiter.acquire(c)).toBeDefined();
  });
});
