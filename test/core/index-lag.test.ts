/**
 * Strict fifo when the availability index lags (AWS: the index is eventually consistent; here a
 * client answers index queries from a frozen snapshot, test/core/support/lagging-index.ts). The
 * index only proposes; every claim is a conditional write on the base table. What holds, and
 * what can reorder, is written down in docs/data-model.md ("When the index lags").
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoEngine } from '../../functions/core/dynamo-engine';
import { freshTable } from '../support/dynamo';
import { type ManualClock, manualClock, queueName } from '../support/engine';
import { lagIndex } from './support/lagging-index';

let engine: DynamoEngine;
let clock: ManualClock;
let index: ReturnType<typeof lagIndex>;

beforeAll(async () => {
  clock = manualClock();
  const { client, tableName } = await freshTable();
  index = lagIndex(client);
  engine = new DynamoEngine({ client, tableName, clock });
});

const bodies = (messages: { body: unknown }[]) => messages.map((m) => m.body);

describe('receives while the index lags', () => {
  it('never deliver a message twice: a stale candidate fails its claim and the next one is taken', async () => {
    const queue = queueName('lag');
    await engine.putQueue(queue, {});
    await engine.publishBatch(queue, [{ body: 1 }, { body: 2 }, { body: 3 }]);
    index.freeze();
    try {
      const seen: unknown[] = [];
      for (let i = 0; i < 4; i++) seen.push(...bodies(await engine.receive(queue, {})));
      // The stale index proposes 1, 2, 3 every time; each claim after the first loses on `ask = :seen`.
      expect(seen).toEqual([1, 2, 3]);
    } finally {
      index.thaw();
    }
    expect(await engine.receive(queue, {})).toEqual([]);
  });

  it('keep a group’s order: the next member waits until the index shows it as head', async () => {
    const queue = queueName('lag');
    await engine.putQueue(queue, {});
    await engine.publishBatch(queue, [
      { body: 'g1', groupId: 'g' },
      { body: 'g2', groupId: 'g' },
      { body: 'other' },
    ]);
    index.freeze();
    try {
      const [g1] = await engine.receive(queue, {});
      expect(g1?.body).toBe('g1');
      await engine.ack(queue, g1?.receipt as string);
      // g2 is the head now in the table, but the snapshot still has it waiting: never ahead of g1,
      // and the rest of the queue is not held up.
      expect(bodies(await engine.receive(queue, { maxMessages: 10 }))).toEqual(['other']);
      expect(await engine.receive(queue, { maxMessages: 10 })).toEqual([]);
    } finally {
      index.thaw();
    }
    expect(bodies(await engine.receive(queue, {}))).toEqual(['g2']);
  });

  it('can reorder across what the snapshot does not show: a released message and a later, more urgent one are overtaken', async () => {
    const queue = queueName('lag');
    await engine.putQueue(queue, {});
    await engine.publishBatch(queue, [
      { body: 'first' },
      { body: 'second' },
      { body: 'third' },
      { body: 'fourth' },
    ]);
    const [first] = await engine.receive(queue, {});
    index.freeze();
    try {
      // The snapshot is taken here: 'first' a running lease, the other three ready.
      expect(bodies(await engine.receive(queue, {}))).toEqual(['second']);
      await engine.release(queue, first?.receipt as string, 0);
      await engine.publish(queue, { body: 'urgent', priority: 9 });
      // In the table 'urgent' and then 'first' are ahead of 'third'; the snapshot shows neither.
      expect(bodies(await engine.receive(queue, {}))).toEqual(['third']);
    } finally {
      index.thaw();
    }
    expect(bodies(await engine.receive(queue, { maxMessages: 3 }))).toEqual(['urgent', 'first', 'fourth']);
  });
});
