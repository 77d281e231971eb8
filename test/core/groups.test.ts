import { beforeAll, describe, expect, it } from 'vitest';
import type { DynamoEngine } from '../../functions/core/dynamo-engine';
import { type ManualClock, queueName, testEngine } from '../support/engine';
import { countRequests } from '../support/request-counter';

let engine: DynamoEngine;
let clock: ManualClock;
let counter: ReturnType<typeof countRequests>;

beforeAll(async () => {
  const setup = await testEngine();
  ({ engine, clock } = setup);
  counter = countRequests(setup.client);
});

describe('message groups', () => {
  it('delivers a group strictly in order and one at a time, while other groups flow', async () => {
    const queue = queueName();
    await engine.putQueue(queue, {});
    await engine.publish(queue, { body: 'a1', groupId: 'a' });
    await engine.publish(queue, { body: 'a2', groupId: 'a', priority: 9 });
    await engine.publish(queue, { body: 'b1', groupId: 'b' });
    await engine.publish(queue, { body: 'free' });

    const first = await engine.receive(queue, { maxMessages: 10 });
    expect(first.map((m) => m.body)).toEqual(['a1', 'b1', 'free']);
    expect(await engine.receive(queue, {})).toEqual([]);
    expect((await engine.getQueue(queue)).counts).toEqual({ ready: 1, delayed: 0, inFlight: 3, total: 4 });

    await engine.ack(queue, first[0]?.receipt as string);
    const [next] = await engine.receive(queue, {});
    expect(next).toMatchObject({ body: 'a2', groupId: 'a' });
  });

  it('keeps a group blocked while its head is delayed', async () => {
    const queue = queueName();
    await engine.putQueue(queue, {});
    await engine.publish(queue, { body: 'later', groupId: 'g', delaySeconds: 30 });
    await engine.publish(queue, { body: 'behind', groupId: 'g' });
    expect(await engine.receive(queue, {})).toEqual([]);
    clock.advance(30_000);
    const got = await engine.receive(queue, { maxMessages: 2 });
    expect(got.map((m) => m.body)).toEqual(['later']);
  });

  it('hands the head on when the head is cancelled, dead-lettered or auto-acked', async () => {
    const queue = queueName();
    const dlq = queueName('dlq');
    await engine.putQueue(dlq, {});
    await engine.putQueue(queue, { deadLetterQueue: dlq, maxReceiveCount: 1 });
    const one = await engine.publish(queue, { body: 1, groupId: 'g' });
    await engine.publish(queue, { body: 2, groupId: 'g' });
    await engine.publish(queue, { body: 3, groupId: 'g' });
    await engine.publish(queue, { body: 4, groupId: 'g' });

    await engine.deleteMessage(queue, one.id);
    const [two] = await engine.receive(queue, {});
    expect(two?.body).toBe(2);
    await engine.release(queue, two?.receipt as string, 0);
    const [three] = await engine.receive(queue, { ack: 'auto' });
    expect(three?.body).toBe(3);
    const [four] = await engine.receive(queue, {});
    expect(four?.body).toBe(4);
    const [dead] = await engine.receive(dlq, {});
    expect(dead).toMatchObject({ body: 2, groupId: 'g' });
  });

  it('never has two messages of a group in flight with competing consumers', async () => {
    const queue = queueName();
    await engine.putQueue(queue, { visibilityTimeoutSeconds: 60 });
    const groups = ['a', 'b', 'c', 'd'];
    for (let i = 0; i < 5; i++) {
      await engine.publishBatch(
        queue,
        groups.map((g) => ({ body: { g, i }, groupId: g })),
      );
    }
    const seen = new Map<string, number[]>();
    const inFlight = new Set<string>();
    let overlaps = 0;
    const consumer = async () => {
      for (let idle = 0; idle < 5; ) {
        const got = await engine.receive(queue, { maxMessages: 3 });
        if (got.length === 0) {
          idle++;
          await new Promise((r) => setTimeout(r, 20));
          continue;
        }
        for (const m of got) {
          const { g, i } = m.body as { g: string; i: number };
          if (inFlight.has(g)) overlaps++;
          inFlight.add(g);
          seen.set(g, [...(seen.get(g) ?? []), i]);
        }
        await new Promise((r) => setTimeout(r, 5));
        for (const m of got) {
          inFlight.delete((m.body as { g: string }).g);
          await engine.ack(queue, m.receipt as string);
        }
      }
    };
    await Promise.all(Array.from({ length: 6 }, consumer));
    expect(overlaps).toBe(0);
    for (const g of groups) expect(seen.get(g)).toEqual([0, 1, 2, 3, 4]);
  });

  it('does not read blocked groups: a receive behind 100 blocked groups reads a handful of items', async () => {
    const queue = queueName();
    await engine.putQueue(queue, { visibilityTimeoutSeconds: 600 });
    for (let batch = 0; batch < 4; batch++) {
      await engine.publishBatch(
        queue,
        Array.from({ length: 25 }, (_, i) => ({ body: 'head', groupId: `g${batch * 25 + i}` })),
      );
    }
    for (let batch = 0; batch < 4; batch++) {
      await engine.publishBatch(
        queue,
        Array.from({ length: 25 }, (_, i) => ({ body: 'blocked', groupId: `g${batch * 25 + i}` })),
      );
    }
    for (let i = 0; i < 10; i++) await engine.receive(queue, { maxMessages: 10 });
    await engine.publish(queue, { body: 'free' });
    counter.take();
    const [m] = await engine.receive(queue, {});
    expect(m?.body).toBe('free');
    const { requests, itemsRead } = counter.take();
    expect(requests).toEqual({ Query: 1, UpdateItem: 1 });
    expect(itemsRead).toBeLessThanOrEqual(10);
    expect((await engine.getQueue(queue)).counts).toMatchObject({ inFlight: 101, ready: 100 });
  }, 180_000);
});

describe('message groups on a lifo queue', () => {
  it('refuses a groupId, entry by entry', async () => {
    const queue = queueName();
    await engine.putQueue(queue, { order: 'lifo' });
    await expect(engine.publish(queue, { body: 1, groupId: 'g' })).rejects.toMatchObject({
      code: 'ValidationError',
    });
    const results = await engine.publishBatch(queue, [{ body: 1 }, { body: 2, groupId: 'g' }]);
    expect(results.map((r) => r.ok)).toEqual([true, false]);
  });
});
