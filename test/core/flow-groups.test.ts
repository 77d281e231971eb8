/**
 * groupLimits.maxInFlight (functions/core/group-quota.ts): up to k members of a message group in
 * the receive range at once, the group's oldest. Two engines on one table stand for two processes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoEngine } from '../../functions/core/dynamo-engine';
import type { DeliveredMessage } from '../../functions/core/types';
import { testClient } from '../support/dynamo';
import { type ManualClock, queueName, testEngine } from '../support/engine';
import { countRequests } from '../support/request-counter';
import { drainReceivable as drainAll } from './support/receive-all';

let engine: DynamoEngine;
let other: DynamoEngine;
let clock: ManualClock;
let counter: ReturnType<typeof countRequests>;

beforeAll(async () => {
  const setup = await testEngine();
  ({ engine, clock } = setup);
  counter = countRequests(setup.client);
  other = new DynamoEngine({ client: testClient(), tableName: setup.tableName, clock });
});

const bodies = (messages: DeliveredMessage[]) => messages.map((m) => m.body);

async function publishGroup(queue: string, group: string, count: number, from = 0) {
  for (let i = from; i < from + count; i++)
    await engine.publish(queue, { body: `${group}${i}`, groupId: group });
}

/** What both engines can receive right now. */
const drainReceivable = (queue: string) => drainAll([engine, other], queue);

describe.each([1, 4])('groupLimits.maxInFlight (shards: %i)', (shards) => {
  it('keeps k of a group in flight across two engines; the next starts only when one leaves, in group order', async () => {
    const queue = queueName('glim');
    await engine.putQueue(queue, { shards, groupLimits: { maxInFlight: 3 } });
    await publishGroup(queue, 'a', 8);
    await publishGroup(queue, 'b', 2);

    const first = await drainReceivable(queue);
    const ofA = first.filter((m) => m.groupId === 'a');
    expect(bodies(ofA).sort()).toEqual(['a0', 'a1', 'a2']);
    expect(bodies(first.filter((m) => m.groupId === 'b')).sort()).toEqual(['b0', 'b1']);
    expect(await drainReceivable(queue)).toEqual([]);
    const counts = (await engine.getQueue(queue)).counts;
    expect(counts).toMatchObject({ inFlight: 5, total: 10 });

    // An ack lets exactly the next one in (the oldest waiting), through the other engine.
    const a1 = ofA.find((m) => m.body === 'a1') as DeliveredMessage;
    await other.ack(queue, a1.receipt as string);
    const next = await drainReceivable(queue);
    expect(bodies(next)).toEqual(['a3']);

    // A release keeps its slot: it comes back, and no one else of the group starts.
    const a0 = ofA.find((m) => m.body === 'a0') as DeliveredMessage;
    await engine.release(queue, a0.receipt as string, 0);
    expect(bodies(await drainReceivable(queue))).toEqual(['a0']);

    // A lease that ends keeps its slot too: the same message is delivered again, not a4.
    clock.advance(31_000);
    const again = await drainReceivable(queue);
    expect(bodies(again.filter((m) => m.groupId === 'a')).sort()).toEqual(['a0', 'a2', 'a3']);

    // Acking the whole window lets the rest through, three at a time, in order.
    const order: string[] = [];
    let held = again.filter((m) => m.groupId === 'a');
    while (held.length > 0) {
      for (const message of held) await engine.ack(queue, message.receipt as string);
      held = await drainReceivable(queue);
      expect(held.length).toBeLessThanOrEqual(3);
      order.push(...(bodies(held) as string[]).sort());
    }
    expect(order).toEqual(['a4', 'a5', 'a6', 'a7']);
    expect((await engine.getQueue(queue)).counts).toMatchObject({ total: 2 });
  });

  it('dead-letters a member and lets the next in; redrive brings it back into the group', async () => {
    const queue = queueName('glim');
    const dlq = queueName('glimdlq');
    await engine.putQueue(dlq, { shards });
    await engine.putQueue(queue, {
      shards,
      groupLimits: { maxInFlight: 2 },
      deadLetterQueue: dlq,
      maxReceiveCount: 1,
    });
    await publishGroup(queue, 'g', 4);
    const first = await drainReceivable(queue);
    expect(bodies(first).sort()).toEqual(['g0', 'g1']);
    // g0's lease ends: it has used its one receive, so it moves out and g2 starts.
    const g1 = first.find((m) => m.body === 'g1') as DeliveredMessage;
    await engine.extend(queue, g1.receipt as string, 300);
    clock.advance(31_000);
    expect(bodies(await drainReceivable(queue))).toEqual(['g2']);
    const dead = await engine.receive(dlq, { maxMessages: 10 });
    expect(bodies(dead)).toEqual(['g0']);
    await engine.release(dlq, (dead[0] as DeliveredMessage).receipt as string, 0);

    const redriven = await engine.redrive(dlq, { to: queue });
    expect(redriven).toMatchObject({ moved: 1 });
    // g0 joins the group behind g3: still two in flight (g1, g2), then g3, then g0.
    expect(await drainReceivable(queue)).toEqual([]);
    const counts = (await engine.getQueue(queue)).counts;
    expect(counts).toMatchObject({ inFlight: 2, total: 4 });
  });
});

describe('groupLimits changes on a live queue', () => {
  it('a raised limit applies from the group’s next publish; a lowered one starts no one until the group is under it', async () => {
    const queue = queueName('glim');
    await engine.putQueue(queue, { groupLimits: { maxInFlight: 2 } });
    await publishGroup(queue, 'g', 6);
    const first = await drainReceivable(queue);
    expect(bodies(first).sort()).toEqual(['g0', 'g1']);

    await engine.putQueue(queue, { groupLimits: { maxInFlight: 4 } });
    await publishGroup(queue, 'g', 1, 6); // carries the new cap to the group
    await engine.ack(queue, (first[0] as DeliveredMessage).receipt as string);
    // One left, and there is room for three: g2, g3, g4 start at once (four in flight).
    const raised = await drainReceivable(queue);
    expect(bodies(raised).sort()).toEqual(['g2', 'g3', 'g4']);

    await engine.putQueue(queue, { groupLimits: null });
    await publishGroup(queue, 'g', 1, 7); // the cap is now 1
    const inFlight = [first[1], ...raised] as DeliveredMessage[];
    for (const message of inFlight.slice(0, 3)) {
      await engine.ack(queue, message.receipt as string);
      expect(await drainReceivable(queue)).toEqual([]); // still at or above the new cap
    }
    await engine.ack(queue, (inFlight[3] as DeliveredMessage).receipt as string);
    expect(bodies(await drainReceivable(queue))).toEqual(['g5']);
  });

  it('a queue without groupLimits keeps strict groups; a lifo queue and a bad perSecond are refused', async () => {
    const queue = queueName('glim');
    await engine.putQueue(queue, {});
    expect((await engine.getQueue(queue)).groupLimits).toBeNull();
    await publishGroup(queue, 'g', 3);
    expect(bodies(await drainReceivable(queue))).toEqual(['g0']);
    await expect(
      engine.putQueue(queueName('glim'), { order: 'lifo', groupLimits: { maxInFlight: 2 } }),
    ).rejects.toThrow(/lifo/);
    await expect(engine.putQueue(queueName('glim'), { groupLimits: { perSecond: 0 } })).rejects.toThrow(
      /perSecond/,
    );
  });
});

describe('groupLimits costs', () => {
  /** Requests of: publish two to a group, receive, ack the receivable one (the next starts). */
  async function costs(groupLimits: { maxInFlight: number } | null) {
    const queue = queueName('glimcost');
    await engine.putQueue(queue, { groupLimits });
    counter.take();
    await engine.publish(queue, { body: 1, groupId: 'g' });
    await engine.publish(queue, { body: 2, groupId: 'g' });
    const publish = counter.take().requests;
    const [first] = await engine.receive(queue, { maxMessages: 1 });
    const receive = counter.take().requests;
    await engine.ack(queue, first?.receipt as string);
    const ack = counter.take().requests;
    return { publish, receive, ack };
  }

  it('publish and receive cost what a strict group does; leaving with someone waiting one GetItem more', async () => {
    const strict = await costs(null);
    const limited = await costs({ maxInFlight: 2 });
    expect(limited.receive).toEqual(strict.receive);
    expect(strict.publish).toEqual({ UpdateItem: 2, GetItem: 2, TransactWriteItems: 2 });
    expect(limited.publish).toEqual({ UpdateItem: 2, GetItem: 2, TransactWriteItems: 2 });
    // Both are receivable under maxInFlight 2, so its ack has no one to start: no Query.
    expect(limited.ack).toEqual({ DeleteItem: 1, GetItem: 1, TransactWriteItems: 1 });
    expect(strict.ack).toEqual({ DeleteItem: 1, Query: 1, TransactWriteItems: 1 });

    // A third member waits behind the two; acking one reads the group and the oldest waiting.
    const queue = queueName('glimcost');
    await engine.putQueue(queue, { groupLimits: { maxInFlight: 2 } });
    for (const body of [1, 2, 3]) await engine.publish(queue, { body, groupId: 'g' });
    const [first] = await engine.receive(queue, { maxMessages: 1 });
    counter.take();
    await engine.ack(queue, first?.receipt as string);
    expect(counter.take().requests).toEqual({ DeleteItem: 1, GetItem: 1, Query: 1, TransactWriteItems: 1 });
    expect(bodies(await engine.receive(queue, { maxMessages: 10 }))).toEqual([2, 3]);
  });
});
