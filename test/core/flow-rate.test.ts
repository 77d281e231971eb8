/**
 * The queue's rateLimit: a token bucket in the store (functions/core/flow/rate-bucket.ts), with
 * the clock injected and moved by hand. Two engines on one table stand for two processes.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoEngine } from '../../functions/core/dynamo-engine';
import type { DeliveredMessage } from '../../functions/core/types';
import { testClient } from '../support/dynamo';
import { type ManualClock, queueName, testEngine } from '../support/engine';
import { countRequests } from '../support/request-counter';
import { lagIndex } from './support/lagging-index';

let engine: DynamoEngine;
let other: DynamoEngine;
let clock: ManualClock;
let client: DynamoDBClient;
let tableName: string;
let counter: ReturnType<typeof countRequests>;

beforeAll(async () => {
  ({ engine, clock, client, tableName } = await testEngine());
  other = new DynamoEngine({ client: testClient(), tableName, clock });
  counter = countRequests(client);
});

async function backlog(queue: string, count: number): Promise<void> {
  for (let start = 0; start < count; start += 25) {
    const size = Math.min(25, count - start);
    await engine.publishBatch(
      queue,
      Array.from({ length: size }, (_, i) => ({ body: start + i })),
    );
  }
}

describe('rateLimit', () => {
  it('delivers N/s ± 10 % to 16 competing receivers on two engines over a simulated 30 s, never more than the bucket allows', {
    timeout: 120_000,
  }, async () => {
    const perSecond = 10;
    const queue = queueName('rate');
    await engine.putQueue(queue, { rateLimit: { perSecond } });
    await backlog(queue, 400);
    const start = clock();
    const times: number[] = [];
    const ids = new Set<string>();
    // 16 receivers, 8 per engine, all asking for 10 at every step of 500 ms.
    for (let step = 0; step < 60; step++) {
      const now = clock();
      const answers = await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          (i % 2 === 0 ? engine : other).receive(queue, { maxMessages: 10, ack: 'auto' }),
        ),
      );
      for (const message of answers.flat()) {
        ids.add(message.id);
        times.push(now);
      }
      clock.advance(500);
    }
    const delivered = times.length;
    expect(ids.size).toBe(delivered); // never one message twice
    expect(delivered).toBeGreaterThanOrEqual(30 * perSecond * 0.9);
    expect(delivered).toBeLessThanOrEqual(30 * perSecond * 1.1);
    // The bucket's own bound: in any window of w ms, at most burst + w·N/1000.
    for (const from of times) {
      for (const w of [0, 1_000, 5_000]) {
        const inWindow = times.filter((t) => t >= from && t <= from + w).length;
        expect(inWindow).toBeLessThanOrEqual(perSecond + Math.floor((w * perSecond) / 1000));
      }
    }
    expect(Math.max(...times) - start).toBeGreaterThanOrEqual(29_500);
  });

  it('lets a burst through after a quiet spell, then one message per 1/N s', async () => {
    const queue = queueName('burst');
    await engine.putQueue(queue, { rateLimit: { perSecond: 4, burst: 6 } });
    await backlog(queue, 20);
    expect(await engine.receive(queue, { maxMessages: 10 })).toHaveLength(6);
    expect(await engine.receive(queue, { maxMessages: 10 })).toHaveLength(0);
    clock.advance(249);
    expect(await engine.receive(queue, { maxMessages: 10 })).toHaveLength(0);
    clock.advance(1);
    expect(await engine.receive(queue, { maxMessages: 10 })).toHaveLength(1);
    clock.advance(500);
    expect(await engine.receive(queue, { maxMessages: 10 })).toHaveLength(2);
    // A long quiet spell fills the bucket to its burst, never beyond.
    clock.advance(60_000);
    expect(await engine.receive(queue, { maxMessages: 10 })).toHaveLength(6);
  });

  it('defaults the burst to one second of the rate (at least 1)', async () => {
    const fast = queueName('fast');
    await engine.putQueue(fast, { rateLimit: { perSecond: 2.5 } });
    await backlog(fast, 10);
    expect(await engine.receive(fast, { maxMessages: 10 })).toHaveLength(3);
    const slow = queueName('slow');
    await engine.putQueue(slow, { rateLimit: { perSecond: 0.5 } });
    await backlog(slow, 3);
    expect(await engine.receive(slow, { maxMessages: 10 })).toHaveLength(1);
    clock.advance(1_999);
    expect(await engine.receive(slow, { maxMessages: 10 })).toHaveLength(0);
    clock.advance(1);
    expect(await engine.receive(slow, { maxMessages: 10 })).toHaveLength(1);
  });

  it('does not count a message that waits for a token as a receive, and keeps its order', async () => {
    const queue = queueName('count');
    await engine.putQueue(queue, { rateLimit: { perSecond: 1, burst: 1 } });
    await backlog(queue, 3);
    const got: DeliveredMessage[] = [];
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 5; j++) got.push(...(await engine.receive(queue, { maxMessages: 3 })));
      const ready = await engine.browse(queue, { state: 'ready', limit: 10 });
      expect(ready.items.every((m) => m.receiveCount === 0)).toBe(true);
      clock.advance(1_000);
    }
    expect(got.map((m) => [m.body, m.receiveCount])).toEqual([
      [0, 1],
      [1, 1],
      [2, 1],
    ]);
  });

  it('shares one bucket between processes: what one took, the other cannot', async () => {
    const queue = queueName('shared');
    await engine.putQueue(queue, { rateLimit: { perSecond: 5, burst: 5 } });
    await backlog(queue, 20);
    expect(await engine.receive(queue, { maxMessages: 3 })).toHaveLength(3);
    expect(await other.receive(queue, { maxMessages: 10 })).toHaveLength(2);
    expect(await engine.receive(queue, { maxMessages: 10 })).toHaveLength(0);
    expect(await other.receive(queue, { maxMessages: 10 })).toHaveLength(0);
    clock.advance(200);
    const both = await Promise.all([
      engine.receive(queue, { maxMessages: 10 }),
      other.receive(queue, { maxMessages: 10 }),
    ]);
    expect(both.flat()).toHaveLength(1);
  });

  it('costs an empty bucket no request, an empty queue no bucket request, and a delivering receive one', async () => {
    const queue = queueName('costs');
    await engine.putQueue(queue, { rateLimit: { perSecond: 1, burst: 2 } });
    await engine.receive(queue, {});
    counter.take();
    expect(await engine.receive(queue, { maxMessages: 10 })).toEqual([]);
    expect(counter.take().requests).toEqual({ Query: 1 });
    await backlog(queue, 5);
    counter.take();
    expect(await engine.receive(queue, { maxMessages: 10 })).toHaveLength(2);
    expect(counter.take().requests).toEqual({ Query: 1, UpdateItem: 3 });
    for (let i = 0; i < 3; i++) expect(await engine.receive(queue, { maxMessages: 10 })).toEqual([]);
    expect(counter.take().total).toBe(0);
  });

  it('gives back the tokens of claims that lost their race', async () => {
    const lagging = testClient();
    const index = lagIndex(lagging);
    const behind = new DynamoEngine({ client: lagging, tableName, clock });
    const queue = queueName('giveback');
    await engine.putQueue(queue, { rateLimit: { perSecond: 1, burst: 4 } });
    await backlog(queue, 6);
    index.freeze();
    await behind.browse(queue, { state: 'ready', limit: 10 }); // the configuration, cached
    expect(await behind.receive(queue, { maxMessages: 1 })).toHaveLength(1); // snapshot: 4 ready
    // Its index still proposes the message it took, first: that claim loses, its token goes back,
    // and the receive takes one again for the next candidate. 1 + 2 used, so one is left.
    const got = await behind.receive(queue, { maxMessages: 2 });
    expect(got).toHaveLength(2);
    index.thaw();
    expect(await engine.receive(queue, { maxMessages: 10 })).toHaveLength(1);
    expect(await engine.receive(queue, { maxMessages: 10 })).toHaveLength(0);
  });

  it('starts the bucket afresh when the limit changes, and stops limiting when it is removed', async () => {
    const queue = queueName('change');
    await engine.putQueue(queue, { rateLimit: { perSecond: 1, burst: 1 } });
    await backlog(queue, 30);
    expect(await engine.receive(queue, { maxMessages: 10 })).toHaveLength(1);
    expect(await other.receive(queue, { maxMessages: 10 })).toHaveLength(0);
    await engine.putQueue(queue, { rateLimit: { perSecond: 1, burst: 4 } });
    expect(await engine.receive(queue, { maxMessages: 10 })).toHaveLength(4);
    await engine.putQueue(queue, { rateLimit: null });
    expect(await engine.receive(queue, { maxMessages: 10 })).toHaveLength(10);
  });

  it('tells how long until a batch of tokens is due, from the bucket state it saw, with no request', async () => {
    const queue = queueName('wait');
    await engine.putQueue(queue, { rateLimit: { perSecond: 4, burst: 6 } });
    await backlog(queue, 20);
    expect(await engine.rateLimitWaitMs(queue, 10)).toBe(0);
    expect(await engine.receive(queue, { maxMessages: 10 })).toHaveLength(6);
    counter.take();
    // Empty: a token in 250 ms, three in 750 ms; more than the burst waits for the burst.
    expect(await engine.rateLimitWaitMs(queue, 1)).toBe(250);
    expect(await engine.rateLimitWaitMs(queue, 3)).toBe(750);
    expect(await engine.rateLimitWaitMs(queue, 10)).toBe(1_500);
    expect(counter.take().total).toBe(0);
    clock.advance(750);
    expect(await engine.rateLimitWaitMs(queue, 3)).toBe(0);
    expect(await engine.receive(queue, { maxMessages: 3 })).toHaveLength(3);

    const unlimited = queueName('unlimited');
    await engine.putQueue(unlimited, {});
    expect(await engine.rateLimitWaitMs(unlimited, 1)).toBeUndefined();
    // Paused, no token makes it deliver: not a wait.
    await engine.pauseQueue(queue);
    expect(await engine.rateLimitWaitMs(queue, 1)).toBeUndefined();
  });

  it('makes a long poll wait for the next token rather than answer empty', async () => {
    // A real clock here: the wait is measured against it.
    const live = await testEngine(Object.assign(() => Date.now(), { advance() {}, set() {} }));
    const queue = queueName('poll');
    await live.engine.putQueue(queue, { rateLimit: { perSecond: 5, burst: 1 } });
    await live.engine.publishBatch(queue, [{ body: 1 }, { body: 2 }]);
    expect(await live.engine.receive(queue, {})).toHaveLength(1);
    const started = performance.now();
    const next = await live.engine.receive(queue, { waitSeconds: 5 });
    expect(next.map((m) => m.body)).toEqual([2]);
    // The next token is due 200 ms after the first; well before the end of the wait.
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
