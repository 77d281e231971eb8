/**
 * groupLimits.key (functions/core/limit-group.ts): a message published without a groupId whose
 * attribute `key` is set is stored with that value as its groupId, so the limits apply per value.
 * Two engines on one table stand for two processes; the clock is injected.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoEngine } from '../../functions/core/dynamo-engine';
import type { DeliveredMessage } from '../../functions/core/types';
import { testClient } from '../support/dynamo';
import { type ManualClock, manualClock, queueName, testEngine } from '../support/engine';
import { drainReceivable as drainAll } from './support/receive-all';

let engine: DynamoEngine;
let other: DynamoEngine;
let clock: ManualClock;

beforeAll(async () => {
  const setup = await testEngine(manualClock(Date.parse('2026-12-03T10:00:00.000Z')));
  ({ engine, clock } = setup);
  other = new DynamoEngine({ client: testClient(), tableName: setup.tableName, clock });
});

const bodies = (messages: DeliveredMessage[]) => messages.map((m) => m.body as string);

/** What both engines can receive right now. */
const drainReceivable = (queue: string) => drainAll([engine, other], queue);

const tenantMessage = (tenant: string, i: number) => ({ body: `${tenant}${i}`, attributes: { tenant } });

describe.each([1, 4])('groupLimits.key (shards: %i)', (shards) => {
  it('keeps 2 of a tenant in flight across two engines; the rest start on ack, in tenant order', async () => {
    const queue = queueName('gkey');
    await engine.putQueue(queue, { shards, groupLimits: { key: 'tenant', maxInFlight: 2 } });
    // One batch mixes the tenants (publishBatch), and single publishes go through the other engine.
    await engine.publishBatch(
      queue,
      [0, 1, 2].map((i) => tenantMessage('a', i)),
    );
    for (let i = 0; i < 3; i++) await other.publish(queue, tenantMessage('b', i));
    await engine.publishBatch(
      queue,
      [3, 4].map((i) => tenantMessage('a', i)),
    );

    const first = await drainReceivable(queue);
    expect(bodies(first).sort()).toEqual(['a0', 'a1', 'b0', 'b1']);
    // Consumers see the derived group.
    expect(first.map((m) => m.groupId).sort()).toEqual(['a', 'a', 'b', 'b']);
    expect(await drainReceivable(queue)).toEqual([]);

    const started: string[] = [];
    let held = first.filter((m) => m.groupId === 'a');
    while (held.length > 0) {
      await other.ack(queue, (held[0] as DeliveredMessage).receipt as string);
      const next = await drainReceivable(queue);
      expect(next.length).toBeLessThanOrEqual(1);
      started.push(...bodies(next));
      held = [...held.slice(1), ...next];
    }
    expect(started).toEqual(['a2', 'a3', 'a4']);
    for (const m of first.filter((m) => m.groupId === 'b')) await engine.ack(queue, m.receipt as string);
    expect(bodies(await drainReceivable(queue))).toEqual(['b2']);
  });

  it('paces each tenant at perSecond; a message with its own groupId keeps it; one without the attribute is not limited', async () => {
    const queue = queueName('gkey');
    await engine.putQueue(queue, { shards, groupLimits: { key: 'tenant', perSecond: 2, maxInFlight: 10 } });
    await engine.publishBatch(queue, [
      ...[0, 1, 2].map((i) => tenantMessage('a', i)),
      ...[0, 1, 2].map((i) => tenantMessage('b', i)),
      // Its own group wins over the attribute: paced as group 'own', not as tenant 'a'.
      { body: 'own0', groupId: 'own', attributes: { tenant: 'a' } },
      ...[0, 1, 2].map((i) => ({ body: `free${i}`, attributes: { other: 'x' } })),
      // An empty value names no group (a groupId has 1–128 characters): not limited either.
      { body: 'free3', attributes: { tenant: '' } },
    ]);
    const first = await drainReceivable(queue);
    expect(bodies(first).sort()).toEqual(['a0', 'b0', 'free0', 'free1', 'free2', 'free3', 'own0']);
    expect(first.find((m) => m.body === 'own0')?.groupId).toBe('own');
    expect(first.filter((m) => (m.body as string).startsWith('free')).map((m) => m.groupId)).toEqual([
      null,
      null,
      null,
      null,
    ]);
    clock.advance(250);
    expect(await drainReceivable(queue)).toEqual([]);
    clock.advance(250);
    expect(bodies(await drainReceivable(queue)).sort()).toEqual(['a1', 'b1']);
    clock.advance(500);
    expect(bodies(await drainReceivable(queue)).sort()).toEqual(['a2', 'b2']);
  });
});

describe('groupLimits.key with topics and schedules', () => {
  it('a topic copy is grouped by the key in a keyed queue and left ungrouped in an unkeyed one', async () => {
    const keyed = queueName('gkey');
    const plain = queueName('gplain');
    const lifo = queueName('glifo');
    await engine.putQueue(keyed, { shards: 4, groupLimits: { key: 'tenant' } });
    await engine.putQueue(plain, {});
    await engine.putQueue(lifo, { order: 'lifo' });
    const { topic } = await engine.putTopic(queueName('gtopic'), [
      { queue: keyed },
      { queue: plain },
      { queue: lifo },
    ]);
    for (let i = 0; i < 3; i++) await engine.publishToTopic(topic.name, tenantMessage('t', i));

    // Keyed, no maxInFlight: one in flight per value, in order.
    const keyedFirst = await drainReceivable(keyed);
    expect(bodies(keyedFirst)).toEqual(['t0']);
    expect(keyedFirst[0]?.groupId).toBe('t');
    const plainAll = await drainReceivable(plain);
    expect(bodies(plainAll).sort()).toEqual(['t0', 't1', 't2']);
    expect(plainAll.map((m) => m.groupId)).toEqual([null, null, null]);
    expect((await drainReceivable(lifo)).map((m) => m.groupId)).toEqual([null, null, null]);

    await engine.ack(keyed, keyedFirst[0]?.receipt as string);
    expect(bodies(await drainReceivable(keyed))).toEqual(['t1']);
  });

  it('a schedule firing into a keyed queue is grouped by the key', async () => {
    const setup = await testEngine(manualClock(Date.parse('2026-12-02T09:59:30.000Z')));
    const queue = queueName('gkey');
    await setup.engine.putQueue(queue, { groupLimits: { key: 'tenant' } });
    await setup.engine.putSchedule('gkey-tick', {
      everySeconds: 60,
      target: { queue },
      message: { body: 'tick', attributes: { tenant: 'acme' } },
    });
    setup.clock.advance(5 * 60_000);
    await setup.engine.runDueSchedules();
    const got = await setup.engine.receive(queue, { maxMessages: 10 });
    expect(got.map((m) => m.groupId)).toEqual(['acme']);
  });
});
