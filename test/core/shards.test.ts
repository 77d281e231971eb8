/**
 * Sharded queues (`shards` > 1) on DynamoDB Local: messages spread over shards and are all
 * delivered once; a group lives in one shard and keeps strict order and one in flight, also when
 * the queue grows under it; counts stay exact; deduplication, bounds, dead letters, redrive,
 * reschedule, topics, browse, purge and delete work across shards.
 */
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoEngine } from '../../functions/core/dynamo-engine';
import { ValidationError } from '../../functions/core/errors';
import { queueOfPartition, shardOfPartition, shardPartition } from '../../functions/core/keys';
import { formatReceipt, parseReceipt } from '../../functions/core/receipts';
import {
  EMPTY_MEMORY_MS,
  groupHomes,
  resolveShards,
  ShardHints,
  shardBound,
} from '../../functions/core/shards';
import type { DeliveredMessage } from '../../functions/core/types';
import { type ManualClock, queueName, testEngine } from '../support/engine';

let engine: DynamoEngine;
let clock: ManualClock;
let client: Awaited<ReturnType<typeof testEngine>>['client'];
let tableName: string;

beforeAll(async () => {
  ({ engine, clock, client, tableName } = await testEngine());
});

/** Receives until `count` messages came (a sharded receive looks at a few shards a call). */
async function receiveAll(queue: string, count: number, options: { ack?: 'auto' } = {}) {
  const got: DeliveredMessage[] = [];
  for (let call = 0; got.length < count && call < count * 20; call++) {
    got.push(...(await engine.receive(queue, { maxMessages: 10, ...options })));
  }
  return got;
}

/** How many items with sort key prefix `M#` each of the queue's partitions holds. */
async function messagesPerPartition(queue: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const meta = await engine.store.send<{ Item?: Record<string, { S?: string; N?: string }> }>(
    new (await import('@aws-sdk/client-dynamodb')).GetItemCommand({
      TableName: tableName,
      Key: marshall({ pk: `Q#${queue}`, sk: '#META' }),
    }),
  );
  const inc = meta.Item?.inc?.S as string;
  const shards = Number(meta.Item?.shards?.N ?? 1);
  for (let shard = 0; shard < shards; shard++) {
    const pk = shard === 0 ? `Q#${queue}#${inc}` : `Q#${queue}#${inc}#${shard}`;
    const output = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :m)',
        ExpressionAttributeValues: marshall({ ':pk': pk, ':m': 'M#' }),
        Select: 'COUNT',
      }),
    );
    counts.set(pk, output.Count ?? 0);
  }
  return counts;
}

describe('the shards setting', () => {
  it('defaults to 1, grows, and refuses a decrease naming the field', async () => {
    const queue = queueName();
    expect((await engine.putQueue(queue, {})).queue.shards).toBe(1);
    expect((await engine.putQueue(queue, { shards: 4 })).queue.shards).toBe(4);
    const decrease = engine.putQueue(queue, { shards: 2 });
    await expect(decrease).rejects.toBeInstanceOf(ValidationError);
    await expect(decrease).rejects.toThrow(/^shards: may only grow/);
    expect((await engine.getQueue(queue)).shards).toBe(4);
  });

  it("throughput 'high' picks ceil(target / 175) shards, never fewer than there are", async () => {
    const queue = queueName();
    const high = await engine.putQueue(queue, { throughput: 'high', targetMessagesPerSecond: 1_000 });
    expect(high.queue.shards).toBe(6);
    const lower = await engine.putQueue(queue, { throughput: 'high', targetMessagesPerSecond: 100 });
    expect(lower.queue.shards).toBe(6);
    expect(resolveShards(undefined, { throughput: 'high', targetMessagesPerSecond: 100_000 })).toBe(572);
    expect(resolveShards(undefined, { throughput: 'high', targetMessagesPerSecond: 179_200 })).toBe(1_024);
    expect(() => resolveShards(1, { throughput: 'high' })).toThrow(/^targetMessagesPerSecond:/);
    expect(() => resolveShards(1, { targetMessagesPerSecond: 5 })).toThrow(/^targetMessagesPerSecond:/);
    expect(() => resolveShards(1, { throughput: 'high', targetMessagesPerSecond: 5, shards: 2 })).toThrow(
      /^shards:/,
    );
    expect(() => resolveShards(1, { shards: 1_025 })).toThrow(/^shards:/);
  });

  it('a bounded queue needs maxMessages of at least its shards; the shares add up to the bound', async () => {
    await expect(engine.putQueue(queueName(), { shards: 4, maxMessages: 3 })).rejects.toThrow(
      /^maxMessages:/,
    );
    expect([0, 1, 2, 3].map((shard) => shardBound(10, 4, shard))).toEqual([3, 3, 2, 2]);
  });
});

describe('publish, receive, ack across shards', () => {
  it('spreads messages over the shards and delivers each exactly once, with receipts naming the shard', async () => {
    const queue = queueName();
    await engine.putQueue(queue, { shards: 4 });
    for (let i = 0; i < 40; i++) await engine.publish(queue, { body: i });
    const spread = [...(await messagesPerPartition(queue)).values()];
    expect(spread).toHaveLength(4);
    expect(spread.reduce((a, b) => a + b, 0)).toBe(40);
    expect(spread.filter((count) => count > 0).length).toBeGreaterThan(1);
    expect((await engine.getQueue(queue)).counts).toEqual({ ready: 40, delayed: 0, inFlight: 0, total: 40 });

    const got = await receiveAll(queue, 40);
    expect(got.map((m) => m.body).sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: 40 }, (_, i) => i),
    );
    expect((await engine.getQueue(queue)).counts).toEqual({ ready: 0, delayed: 0, inFlight: 40, total: 40 });
    const shards = new Set(got.map((m) => parseReceipt(queue, m.receipt as string).shard ?? 0));
    expect(shards.size).toBeGreaterThan(1);
    const results = await engine.ackBatch(
      queue,
      got.slice(0, 10).map((m) => m.receipt as string),
    );
    expect(results.every((result) => result.ok)).toBe(true);
    for (const message of got.slice(10)) await engine.ack(queue, message.receipt as string);
    await expect(engine.ack(queue, got[0]?.receipt as string)).rejects.toMatchObject({
      code: 'ReceiptExpired',
    });
    expect((await engine.getQueue(queue)).counts.total).toBe(0);
  });

  it('release, extend and a batch publish (one shard, one sequence range) work in any shard', async () => {
    const queue = queueName();
    await engine.putQueue(queue, { shards: 3 });
    const batch = await engine.publishBatch(
      queue,
      Array.from({ length: 10 }, (_, i) => ({ body: i })),
    );
    expect(batch.every((entry) => entry.ok)).toBe(true);
    const perShard = [...(await messagesPerPartition(queue)).values()];
    expect(perShard.sort()).toEqual([0, 0, 10]);
    const [first] = await engine.receive(queue, {});
    // One shard holds them all, in publish order: the first is 0.
    expect(first?.body).toBe(0);
    await engine.extend(queue, first?.receipt as string, 60);
    await engine.release(queue, first?.receipt as string, 0);
    const again = await receiveAll(queue, 10, { ack: 'auto' });
    expect(again.map((m) => m.body).sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: 10 }, (_, i) => i),
    );
  });

  it('priorities and lifo hold per shard', async () => {
    const queue = queueName();
    await engine.putQueue(queue, { shards: 2, order: 'lifo' });
    await engine.publishBatch(queue, [
      { body: 'a' },
      { body: 'b' },
      { body: 'c', priority: 5 },
      { body: 'd' },
    ]);
    const got = await receiveAll(queue, 4, { ack: 'auto' });
    expect(got.map((m) => m.body)).toEqual(['c', 'd', 'b', 'a']);
  });
});

describe('message groups on a sharded queue', () => {
  it('a group lives in one shard: strict order and one in flight', async () => {
    const queue = queueName();
    await engine.putQueue(queue, { shards: 8 });
    for (let i = 0; i < 6; i++) await engine.publish(queue, { body: i, groupId: 'g' });
    const perShard = [...(await messagesPerPartition(queue)).values()];
    expect(perShard.filter((count) => count > 0)).toEqual([6]);
    const order: unknown[] = [];
    for (let i = 0; i < 6; i++) {
      const got = await receiveAll(queue, 1);
      expect(got).toHaveLength(1);
      // One in flight: nothing else of the group is offered meanwhile.
      expect(await engine.receive(queue, { maxMessages: 10 })).toEqual([]);
      order.push(got[0]?.body);
      await engine.ack(queue, got[0]?.receipt as string);
    }
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('growing the queue does not move a live group: its order holds across the growth', async () => {
    const queue = queueName();
    await engine.putQueue(queue, { shards: 2 });
    const groups = ['a', 'b', 'c', 'd', 'e', 'f'];
    // Groups whose home changes when the queue grows to 7 shards.
    const moving = groups.filter((group) => {
      const [now, before] = groupHomes({ name: queue, inc: 'x', shards: 7, shardSteps: [2, 7] }, group);
      return before !== undefined && now !== before;
    });
    expect(moving.length).toBeGreaterThan(0);
    for (const group of groups) await engine.publish(queue, { body: `${group}0`, groupId: group });
    await engine.putQueue(queue, { shards: 7 });
    for (const group of groups) await engine.publish(queue, { body: `${group}1`, groupId: group });
    // A group started after the growth lives in its new home.
    await engine.publish(queue, { body: 'z0', groupId: 'z' });
    const seen = new Map<string, unknown[]>();
    for (let round = 0; round < 200 && [...seen.values()].flat().length < 13; round++) {
      for (const message of await engine.receive(queue, { maxMessages: 10 })) {
        seen.set(String(message.groupId), [...(seen.get(String(message.groupId)) ?? []), message.body]);
        await engine.ack(queue, message.receipt as string);
      }
    }
    for (const group of groups) expect(seen.get(group)).toEqual([`${group}0`, `${group}1`]);
    expect(seen.get('z')).toEqual(['z0']);
  });
});

describe('exact counts, browse, get, delete and reschedule across shards', () => {
  it('counts by state sum every shard, browse pages through every shard', async () => {
    const queue = queueName();
    await engine.putQueue(queue, { shards: 4 });
    for (let i = 0; i < 12; i++) await engine.publish(queue, { body: i });
    for (let i = 0; i < 5; i++) await engine.publish(queue, { body: `later${i}`, delaySeconds: 60 });
    await engine.publish(queue, { body: 'g0', groupId: 'g', delaySeconds: 0 });
    await engine.publish(queue, { body: 'g1', groupId: 'g', delaySeconds: 120 });
    const leased = await receiveAll(queue, 3);
    await Promise.all(leased.slice(3).map((m) => engine.release(queue, m.receipt as string, 0)));
    const inFlight = Math.min(3, leased.length);
    expect((await engine.getQueue(queue)).counts).toEqual({
      ready: 13 - inFlight,
      delayed: 6,
      inFlight,
      total: 19,
    });
    const ids = new Set<string>();
    let cursor: string | null | undefined;
    do {
      const page = await engine.browse(queue, { state: 'all', limit: 4, ...(cursor ? { cursor } : {}) });
      for (const item of page.items) ids.add(item.id);
      cursor = page.cursor;
    } while (cursor);
    expect(ids.size).toBe(19);
    clock.advance(61_000);
    expect((await engine.getQueue(queue)).counts.delayed).toBe(1);
  });

  it('get, reschedule and delete a message by id, whichever shard holds it', async () => {
    const queue = queueName();
    await engine.putQueue(queue, { shards: 5 });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await engine.publish(queue, { body: i })).id);
    for (const [i, id] of ids.entries()) expect((await engine.getMessage(queue, id)).body).toBe(i);
    const later = clock() + 3_600_000;
    const view = await engine.rescheduleMessage(queue, ids[3] as string, { deliverAt: later, priority: 7 });
    expect(view).toMatchObject({ state: 'delayed', priority: 7, deliverAt: later });
    await engine.deleteMessage(queue, ids[4] as string);
    await expect(engine.getMessage(queue, ids[4] as string)).rejects.toMatchObject({
      code: 'MessageNotFound',
    });
    await expect(engine.deleteMessage(queue, ids[4] as string)).rejects.toMatchObject({
      code: 'MessageNotFound',
    });
    expect((await engine.getQueue(queue)).counts).toMatchObject({ ready: 8, delayed: 1, total: 9 });
  });
});

describe('deduplication and bounds on a sharded queue', () => {
  it('a deduplicationId is stored once whatever shard the copies would go to, also across growth from 1', async () => {
    const queue = queueName();
    await engine.putQueue(queue, {});
    const first = await engine.publish(queue, { body: 1, deduplicationId: 'once' });
    await engine.putQueue(queue, { shards: 4 });
    const results = await Promise.all(
      Array.from({ length: 10 }, () => engine.publish(queue, { body: 2, deduplicationId: 'once' })),
    );
    expect(results.every((result) => result.duplicate && result.id === first.id)).toBe(true);
    const fresh = await Promise.all(
      Array.from({ length: 10 }, () => engine.publish(queue, { body: 3, deduplicationId: 'new' })),
    );
    expect(fresh.filter((result) => !result.duplicate)).toHaveLength(1);
    expect((await engine.getQueue(queue)).counts.total).toBe(2);
  });

  it('a bounded sharded queue never holds more than maxMessages; acks make room', async () => {
    const queue = queueName();
    await engine.putQueue(queue, { shards: 4, maxMessages: 8 });
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        engine.publish(queue, { body: i }).then(
          () => true,
          () => false,
        ),
      ),
    );
    const stored = outcomes.filter(Boolean).length;
    expect(stored).toBeLessThanOrEqual(8);
    expect((await engine.getQueue(queue)).counts.total).toBe(stored);
    const got = await receiveAll(queue, stored, { ack: 'auto' });
    expect(got).toHaveLength(stored);
    await engine.publish(queue, { body: 'room again' });
  });
});

describe('dead letters, redrive, topics, purge and delete with sharded queues', () => {
  it('dead-letters into a sharded queue and redrives back, groups in order', async () => {
    const dlq = queueName('dlq');
    const queue = queueName();
    await engine.putQueue(dlq, { shards: 3 });
    await engine.putQueue(queue, { shards: 3, deadLetterQueue: dlq, maxReceiveCount: 1 });
    for (let i = 0; i < 6; i++) await engine.publish(queue, { body: i, groupId: i % 2 ? 'odd' : 'even' });
    for (let i = 0; i < 6; i++) await engine.publish(queue, { body: `p${i}` });
    const got = await receiveAll(queue, 12, {});
    expect(got.length).toBeGreaterThanOrEqual(2);
    // Every lease ends unacked: each message has used its one receive.
    for (let round = 0; round < 40; round++) {
      clock.advance(31_000);
      await engine.receive(queue, { maxMessages: 10, visibilityTimeoutSeconds: 1 });
    }
    expect((await engine.getQueue(queue)).counts.total).toBe(0);
    expect((await engine.getQueue(dlq)).counts.total).toBe(12);
    const { moved } = await engine.redrive(dlq, {});
    expect(moved).toBe(12);
    expect((await engine.getQueue(queue)).counts.ready).toBe(12);
    const back = new Map<string, unknown[]>();
    for (let round = 0; round < 100; round++) {
      for (const message of await engine.receive(queue, { maxMessages: 10 })) {
        const group = String(message.groupId);
        back.set(group, [...(back.get(group) ?? []), message.body]);
        await engine.ack(queue, message.receipt as string);
      }
    }
    expect(back.get('even')).toEqual([0, 2, 4]);
    expect(back.get('odd')).toEqual([1, 3, 5]);
    expect(back.get('null')).toHaveLength(6);
  }, 60_000);

  it('a topic delivers to sharded and unsharded queues in one transaction; redrive of one message', async () => {
    const sharded = queueName('sharded');
    const plain = queueName('plain');
    const topic = queueName('topic');
    await engine.putQueue(sharded, { shards: 4 });
    await engine.putQueue(plain, {});
    await engine.putTopic(topic, [{ queue: sharded }, { queue: plain }]);
    const result = await engine.publishToTopic(topic, { body: 'fan', groupId: 'g' });
    expect(result.deliveries.map((d) => d.queue).sort()).toEqual([plain, sharded].sort());
    const id = result.deliveries.find((d) => d.queue === sharded)?.id as string;
    expect((await engine.getMessage(sharded, id)).body).toBe('fan');
    const moved = await engine.redriveMessage(sharded, id, { to: plain });
    expect(moved).toEqual({ queue: plain, id });
    expect((await engine.getQueue(plain)).counts.total).toBe(2);
    expect((await engine.getQueue(sharded)).counts.total).toBe(0);
    await engine.deleteTopic(topic);
  });

  it('purge and delete empty every shard', async () => {
    const queue = queueName();
    await engine.putQueue(queue, { shards: 4 });
    for (let i = 0; i < 12; i++) await engine.publish(queue, { body: i, deduplicationId: `d${i}` });
    const before = await messagesPerPartition(queue);
    await engine.purgeQueue(queue);
    expect((await engine.getQueue(queue)).counts.total).toBe(0);
    for (const pk of before.keys()) {
      const left = await client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: marshall({ ':pk': pk }),
          Select: 'COUNT',
        }),
      );
      expect(left.Count).toBe(0);
    }
    // Deduplication survives a purge, as the contract says.
    expect((await engine.publish(queue, { body: 'x', deduplicationId: 'd1' })).duplicate).toBe(true);
    await engine.deleteQueue(queue);
    await engine.putQueue(queue, { shards: 4 });
    expect((await engine.publish(queue, { body: 'x', deduplicationId: 'd1' })).duplicate).toBe(false);
  });

  it('the timed work promotes due timers in every shard', async () => {
    const queue = queueName();
    await engine.putQueue(queue, { shards: 3 });
    for (let i = 0; i < 9; i++) await engine.publish(queue, { body: i, delaySeconds: 10 });
    clock.advance(11_000);
    await engine.runQueueDueWork(queue);
    const browse = await engine.browse(queue, { state: 'ready', limit: 20 });
    expect(browse.items).toHaveLength(9);
    expect((await engine.runQueueDueWork(queue)).nextDueAt).toBeNull();
  });
});

describe('receive hints', () => {
  it('look first at a shard seen non-empty, then at every shard in turn', () => {
    const hints = new ShardHints();
    const meta = { name: 'q', inc: 'i', shards: 16 };
    const covered = new Set<number>();
    for (let call = 0; call < 4; call++) for (const shard of hints.probeOrder(meta)) covered.add(shard);
    expect(covered.size).toBe(16);
    hints.record(meta, 9, 5);
    expect(hints.probeOrder(meta)[0]).toBe(9);
    hints.record(meta, 9, 0);
    expect(hints.probeOrder(meta)).toHaveLength(4);
  });

  it("a long poll's later looks take the shards seen non-empty and one more, still covering every shard", () => {
    const hints = new ShardHints();
    const meta = { name: 'q', inc: 'i', shards: 16 };
    expect(hints.probeOrder(meta, 'later')).toHaveLength(1);
    const covered = new Set<number>();
    for (let look = 0; look < 16; look++)
      for (const shard of hints.probeOrder(meta, 'later')) covered.add(shard);
    expect(covered.size).toBe(16);
    hints.record(meta, 3, 2);
    hints.record(meta, 11, 1);
    const later = hints.probeOrder(meta, 'later');
    expect(later).toHaveLength(3);
    expect(later.slice(0, 2).sort((a, b) => a - b)).toEqual([3, 11]);
    expect(hints.probeOrder(meta, 'first')).toHaveLength(4);
  });

  it('a long poll passes over shards found empty a moment ago, unless published into since; a short poll does not', () => {
    let now = 0;
    const hints = new ShardHints(() => now);
    const meta = { name: 'q', inc: 'i', shards: 8 };
    for (let shard = 0; shard < 8; shard++) hints.record(meta, shard, 0);
    expect(hints.probeOrder(meta, 'first')).toEqual([]);
    expect(hints.probeOrder(meta, 'later')).toEqual([]);
    expect(hints.probeOrder(meta, 'short')).toHaveLength(4);
    hints.published(meta, 5, 1);
    expect(hints.probeOrder(meta, 'first')).toEqual([5]);
    hints.record(meta, 5, 0);
    now += EMPTY_MEMORY_MS - 1;
    expect(hints.probeOrder(meta, 'first')).toEqual([]);
    now += 1;
    const covered = new Set<number>();
    for (let look = 0; look < 2; look++)
      for (const shard of hints.probeOrder(meta, 'first')) covered.add(shard);
    expect(covered.size).toBe(8);
    // Found empty again: passed over again for the next EMPTY_MEMORY_MS.
    for (const shard of covered) hints.record(meta, shard, 0);
    expect(hints.probeOrder(meta, 'later')).toEqual([]);
  });

  it('shards where this process is already receiving come last', () => {
    const hints = new ShardHints();
    const meta = { name: 'q', inc: 'i', shards: 4 };
    hints.record(meta, 1, 3);
    hints.record(meta, 2, 3);
    const order = hints.probeOrder(meta, 'first', new Map([[1, 2]]));
    expect(order).toHaveLength(4);
    expect(order[0]).toBe(2);
    expect(order[3]).toBe(1);
  });
});

describe('receipts of a shard > 0', () => {
  it('name the shard (pb2) and parse back, also for a .fifo name; shard 0 stays pb1', () => {
    const base = { inc: 'AbCdEfGh', id: 'm'.repeat(22), token: 't'.repeat(22), orderKey: '9000000000000001' };
    for (const queue of ['orders', 'orders.fifo']) {
      const sharded = formatReceipt({ queue, ...base, shard: 17 });
      expect(sharded.startsWith(`pb2.${queue}.AbCdEfGh.17.`)).toBe(true);
      expect(parseReceipt(queue, sharded)).toEqual({ queue, ...base, shard: 17 });
      expect(formatReceipt({ queue, ...base, shard: 0 })).toBe(formatReceipt({ queue, ...base }));
      expect(formatReceipt({ queue, ...base }).startsWith('pb1.')).toBe(true);
    }
    for (const shard of ['0', '01', 'x', '12345']) {
      const text = `pb2.orders.AbCdEfGh.${shard}.${base.id}.${base.token}.${base.orderKey}`;
      expect(() => parseReceipt('orders', text)).toThrow('malformed');
    }
  });
});

describe('shard partitions', () => {
  it('name their queue and shard (the dispatcher reads the queue of a stream record from them)', () => {
    expect(shardPartition('orders', 'AbCdEfGh', 0)).toBe('Q#orders#AbCdEfGh');
    expect(shardPartition('orders', 'AbCdEfGh', 5)).toBe('Q#orders#AbCdEfGh#5');
    expect(queueOfPartition('Q#orders#AbCdEfGh#5')).toBe('orders');
    expect(queueOfPartition('Q#orders#AbCdEfGh')).toBe('orders');
    expect(queueOfPartition('Q#orders#AbCdEfGh#x')).toBeUndefined();
    expect(shardOfPartition('Q#orders#AbCdEfGh#5')).toBe(5);
    expect(shardOfPartition('Q#orders#AbCdEfGh')).toBe(0);
  });
});

describe('a sharded queue deleted by another process', () => {
  it('a publish through a cache that still shows it answers QueueNotFound, whatever its shard', async () => {
    const queue = queueName();
    const stale = new DynamoEngine({ client, tableName, clock, configCacheMs: 60_000 });
    await stale.putQueue(queue, { shards: 8 });
    for (let i = 0; i < 16; i++) await stale.publish(queue, { body: i });
    await engine.deleteQueue(queue);
    for (let i = 0; i < 16; i++) {
      await expect(stale.publish(queue, { body: i })).rejects.toMatchObject({ code: 'QueueNotFound' });
    }
  });
});
