/**
 * groupLimits.perSecond (functions/core/group-rate.ts): each message group's starts paced by a
 * GCRA bucket of burst 1 on its G# item. The clock is injected and moved by hand; two engines on
 * one table stand for two processes.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoEngine } from '../../functions/core/dynamo-engine';
import { groupKey, hashSlot, shardPartition } from '../../functions/core/keys';
import { fromAttributes, toAttributes } from '../../functions/core/store';
import type { DeliveredMessage } from '../../functions/core/types';
import { testClient } from '../support/dynamo';
import { type ManualClock, queueName, testEngine } from '../support/engine';
import { countRequests } from '../support/request-counter';

let engine: DynamoEngine;
let other: DynamoEngine;
let clock: ManualClock;
let tableName: string;
let counter: ReturnType<typeof countRequests>;
let client: ReturnType<typeof testClient>;

beforeAll(async () => {
  const setup = await testEngine();
  ({ engine, clock, tableName } = setup);
  client = setup.client;
  counter = countRequests(setup.client);
  other = new DynamoEngine({ client: testClient(), tableName, clock });
});

const GROUPS = ['a', 'b', 'c'];

async function publishGroups(queue: string, perGroup: number) {
  for (const group of GROUPS) {
    for (let start = 0; start < perGroup; start += 10) {
      await engine.publishBatch(
        queue,
        Array.from({ length: Math.min(10, perGroup - start) }, (_, i) => ({
          body: start + i,
          groupId: group,
        })),
      );
    }
  }
}

/** 16 receivers, 8 per engine, each asking for 10. */
async function receiveAll(queue: string, ack: 'auto' | 'manual' = 'auto'): Promise<DeliveredMessage[]> {
  const answers = await Promise.all(
    Array.from({ length: 16 }, (_, i) =>
      (i % 2 === 0 ? engine : other).receive(queue, { maxMessages: 10, ack }),
    ),
  );
  return answers.flat();
}

describe.each([1, 4])('groupLimits.perSecond (shards: %i)', (shards) => {
  it('delivers each of three groups at 4/s ± 10 % to 16 receivers on two engines over a simulated 30 s, in group order, losing nothing', {
    timeout: 180_000,
  }, async () => {
    const queue = queueName('grate');
    await engine.putQueue(queue, { shards, groupLimits: { perSecond: 4 } });
    await publishGroups(queue, 150);
    const start = clock();
    const times = new Map(GROUPS.map((g) => [g, [] as number[]]));
    const order = new Map(GROUPS.map((g) => [g, [] as number[]]));
    const ids = new Set<string>();
    for (let step = 0; step < 120; step++) {
      const now = clock();
      for (const message of await receiveAll(queue)) {
        expect(ids.has(message.id)).toBe(false);
        ids.add(message.id);
        times.get(message.groupId as string)?.push(now);
        order.get(message.groupId as string)?.push(message.body as number);
      }
      clock.advance(250);
    }
    for (const group of GROUPS) {
      const at = times.get(group) as number[];
      expect(at.length).toBeGreaterThanOrEqual(30 * 4 * 0.9);
      expect(at.length).toBeLessThanOrEqual(30 * 4 * 1.1);
      // Burst 1: never two starts of a group closer than one period.
      for (let i = 1; i < at.length; i++)
        expect((at[i] as number) - (at[i - 1] as number)).toBeGreaterThanOrEqual(250);
      expect(order.get(group)).toEqual(Array.from({ length: at.length }, (_, i) => i));
      expect(Math.max(...at) - start).toBeGreaterThanOrEqual(29_000);
    }
    // The rest comes as the clock goes on: nothing lost, still in order.
    for (let step = 0; step < 200 && ids.size < 450; step++) {
      for (const message of await receiveAll(queue)) {
        ids.add(message.id);
        order.get(message.groupId as string)?.push(message.body as number);
      }
      clock.advance(250);
    }
    for (const group of GROUPS) expect(order.get(group)).toEqual(Array.from({ length: 150 }, (_, i) => i));
    expect((await engine.getQueue(queue)).counts.total).toBe(0);
  });

  it('an emptied group keeps its pace: a member published right after waits its turn, then the group item goes', async () => {
    const queue = queueName('grate');
    await engine.putQueue(queue, { shards, groupLimits: { perSecond: 0.5 } });
    await engine.publish(queue, { body: 1, groupId: 'g' });
    const [first] = await engine.receive(queue, { maxMessages: 1, ack: 'auto' });
    expect(first?.body).toBe(1);
    // Emptied before its next start (2 s on): the group item stays, and a new member is stored
    // delayed to that start.
    expect(await groupItems(queue, shards, 'g')).toMatchObject([
      { members: 0, active: 0, tat: clock() + 2000 },
    ]);
    const published = await other.publish(queue, { body: 2, groupId: 'g' });
    expect(published.deliverAt).toBe(clock() + 2000);
    // A reschedule does not move it before its start (later is fine).
    const moved = await engine.rescheduleMessage(queue, published.id, { deliverAt: clock() });
    expect(moved.deliverAt).toBe(clock() + 2000);
    expect(await other.receive(queue, { maxMessages: 1 })).toEqual([]);
    clock.advance(1999);
    expect(await engine.receive(queue, { maxMessages: 1 })).toEqual([]);
    clock.advance(1);
    const [second] = await other.receive(queue, { maxMessages: 1 });
    expect(second).toMatchObject({ body: 2, receiveCount: 1 });
    // Redeliveries are not paced again: a release comes straight back.
    await other.release(queue, second?.receipt as string, 0);
    const [again] = await engine.receive(queue, { maxMessages: 1 });
    expect(again).toMatchObject({ body: 2, receiveCount: 2 });
    clock.advance(5000);
    await engine.ack(queue, again?.receipt as string);
    expect(await groupItems(queue, shards, 'g')).toEqual([]); // past its pace: deleted as ever
  });
});

describe('groupLimits.perSecond, sharded queue growing', () => {
  it('a group emptied before its next start stays in its shard when the queue grows, and keeps its pace', async () => {
    const queue = queueName('grate');
    await engine.putQueue(queue, { groupLimits: { perSecond: 0.5 } });
    // A group whose home after growing to 8 shards is not shard 0, where it lives now.
    const group = Array.from({ length: 50 }, (_, i) => `g${i}`).find((g) => hashSlot(g, 8) !== 0) as string;
    await engine.publish(queue, { body: 1, groupId: group });
    expect((await engine.receive(queue, { maxMessages: 1, ack: 'auto' })).map((m) => m.body)).toEqual([1]);
    expect(await groupItems(queue, 1, group)).toMatchObject([{ members: 0, active: 0 }]);
    await engine.putQueue(queue, { shards: 8 });
    await other.putQueue(queue, { shards: 8 });
    const published = await other.publish(queue, { body: 2, groupId: group });
    expect(published.deliverAt).toBe(clock() + 2000);
    const items = await groupItems(queue, 8, group);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ pk: shardPartition(queue, await metaInc(queue), 0), members: 1 });
    expect(items[0]?.ttl).toBeUndefined();
    clock.advance(2000);
    // A receive looks at a few shards a call: found within a few.
    const got: unknown[] = [];
    for (let call = 0; call < 8 && got.length === 0; call++)
      got.push(...(await engine.receive(queue, { maxMessages: 1, ack: 'auto' })).map((m) => m.body));
    expect(got).toEqual([2]);
  });
});

/** The G# items of `group` in any shard of the queue. */
async function groupItems(queue: string, shards: number, group: string) {
  const { inc } = (await engine.getQueue(queue)) as unknown as { inc?: string };
  const meta = inc ?? (await metaInc(queue));
  const found: Record<string, unknown>[] = [];
  for (let shard = 0; shard < shards; shard++) {
    const { Item } = await client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: toAttributes(groupKey(shardPartition(queue, meta, shard), group)),
        ConsistentRead: true,
      }),
    );
    const item = fromAttributes(Item);
    if (item) found.push(item);
  }
  return found;
}

async function metaInc(queue: string): Promise<string> {
  const { Item } = await client.send(
    new GetItemCommand({
      TableName: tableName,
      Key: toAttributes({ pk: `Q#${queue}`, sk: '#META' }),
      ConsistentRead: true,
    }),
  );
  return String(fromAttributes(Item)?.inc);
}

describe('groupLimits.perSecond with maxInFlight', () => {
  it('keeps at most k in flight and starts them at the pace, in group order', {
    timeout: 120_000,
  }, async () => {
    const queue = queueName('grate');
    await engine.putQueue(queue, { groupLimits: { perSecond: 4, maxInFlight: 3 } });
    await publishGroups(queue, 40);
    const inFlight: DeliveredMessage[] = [];
    const starts = new Map(GROUPS.map((g) => [g, [] as number[]]));
    const order = new Map(GROUPS.map((g) => [g, [] as number[]]));
    for (let step = 0; step < 40; step++) {
      const now = clock();
      for (const message of await receiveAll(queue, 'manual')) {
        inFlight.push(message);
        starts.get(message.groupId as string)?.push(now);
        order.get(message.groupId as string)?.push(message.body as number);
      }
      for (const group of GROUPS)
        expect(inFlight.filter((m) => m.groupId === group).length).toBeLessThanOrEqual(3);
      // Every other step, the oldest in flight of each group is acked.
      if (step % 2 === 1) {
        for (const group of GROUPS) {
          const oldest = inFlight.find((m) => m.groupId === group);
          if (!oldest) continue;
          inFlight.splice(inFlight.indexOf(oldest), 1);
          await (step % 4 === 1 ? engine : other).ack(queue, oldest.receipt as string);
        }
      }
      clock.advance(250);
    }
    for (const group of GROUPS) {
      const at = starts.get(group) as number[];
      for (let i = 1; i < at.length; i++)
        expect((at[i] as number) - (at[i - 1] as number)).toBeGreaterThanOrEqual(250);
      // Held to the acks (one per 500 ms), not to the pace, after the first three.
      expect(at.length).toBeGreaterThanOrEqual(20);
      expect(at.length).toBeLessThanOrEqual(23);
      expect(order.get(group)).toEqual(Array.from({ length: at.length }, (_, i) => i));
    }
  });

  it('with free slots, starts are paced (not just held to k)', async () => {
    const queue = queueName('grate');
    await engine.putQueue(queue, { groupLimits: { perSecond: 2, maxInFlight: 10 } });
    const published = [];
    for (let i = 0; i < 4; i++) published.push(await engine.publish(queue, { body: i, groupId: 'g' }));
    const now = clock();
    expect(published.map((p) => p.deliverAt - now)).toEqual([0, 500, 1000, 1500]);
    const got: number[] = [];
    for (let step = 0; step < 8; step++) {
      got.push(...(await receiveAll(queue, 'manual')).map((m) => m.body as number));
      expect(got.length).toBe(Math.min(4, Math.floor(step / 2) + 1));
      clock.advance(250);
    }
    expect(got).toEqual([0, 1, 2, 3]);
  });
});

describe('groupLimits.perSecond, live changes', () => {
  it('a change of perSecond paces the next starts of a busy group; removing it lets the group run strict again', {
    timeout: 120_000,
  }, async () => {
    const queue = queueName('grate');
    await engine.putQueue(queue, { groupLimits: { perSecond: 4 } });
    await publishGroups(queue, 60);
    const count = async (steps: number) => {
      let delivered = 0;
      for (let step = 0; step < steps; step++) {
        delivered += (await receiveAll(queue)).filter((m) => m.groupId === 'a').length;
        clock.advance(250);
      }
      return delivered;
    };
    expect(await count(20)).toBeGreaterThanOrEqual(19); // 5 s at 4/s
    await engine.putQueue(queue, { groupLimits: { perSecond: 1 } });
    await other.putQueue(queue, { groupLimits: { perSecond: 1 } });
    const slow = await count(40); // 10 s at 1/s (the start already due at 4/s comes first)
    expect(slow).toBeGreaterThanOrEqual(9);
    expect(slow).toBeLessThanOrEqual(12);
    await engine.putQueue(queue, { groupLimits: null });
    await other.putQueue(queue, { groupLimits: null });
    clock.advance(1000);
    // Unpaced, one at a time: each auto-acked receive starts the next at once.
    expect(await count(4)).toBeGreaterThanOrEqual(8);
  });

  it('costs: a paced publish and ack cost what maxInFlight does', async () => {
    const queue = queueName('grate');
    await engine.putQueue(queue, { groupLimits: { perSecond: 1 } });
    counter.take();
    await engine.publish(queue, { body: 1, groupId: 'g' });
    await engine.publish(queue, { body: 2, groupId: 'g' });
    expect(counter.take().requests).toEqual({ UpdateItem: 2, GetItem: 2, TransactWriteItems: 2 });
    const [first] = await engine.receive(queue, { maxMessages: 1 });
    counter.take();
    await engine.ack(queue, first?.receipt as string);
    expect(counter.take().requests).toEqual({ DeleteItem: 1, GetItem: 1, Query: 1, TransactWriteItems: 1 });
    expect(await engine.receive(queue, { maxMessages: 1 })).toEqual([]);
    clock.advance(1000);
    expect((await engine.receive(queue, { maxMessages: 1 })).map((m) => m.body)).toEqual([2]);
  });
});
