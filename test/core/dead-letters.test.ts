import { beforeAll, describe, expect, it } from 'vitest';
import type { DynamoEngine } from '../../functions/core/dynamo-engine';
import { type ManualClock, queueName, testEngine } from '../support/engine';

let engine: DynamoEngine;
let clock: ManualClock;

beforeAll(async () => {
  ({ engine, clock } = await testEngine());
});

async function queuesWithDeadLetters(maxReceiveCount = 2) {
  const source = queueName('src');
  const dlq = queueName('dlq');
  await engine.putQueue(dlq, {});
  await engine.putQueue(source, { deadLetterQueue: dlq, maxReceiveCount, visibilityTimeoutSeconds: 10 });
  return { source, dlq };
}

describe('dead-letter queues', () => {
  it('moves a message released after its last allowed receive, keeping what it was', async () => {
    const { source, dlq } = await queuesWithDeadLetters(2);
    const { id } = await engine.publish(source, { body: { n: 1 }, priority: 3, attributes: { a: 'b' } });
    const [first] = await engine.receive(source, {});
    await engine.release(source, first?.receipt as string, 0);
    const [second] = await engine.receive(source, {});
    expect(second?.receiveCount).toBe(2);
    await engine.release(source, second?.receipt as string, 0);

    expect(await engine.receive(source, {})).toEqual([]);
    await expect(engine.ack(source, second?.receipt as string)).rejects.toMatchObject({
      code: 'ReceiptExpired',
    });
    const [dead] = await engine.receive(dlq, {});
    expect(dead).toMatchObject({
      id,
      body: { n: 1 },
      priority: 3,
      attributes: { a: 'b' },
      receiveCount: 1,
      deadLetter: { sourceQueue: source, receiveCount: 2, reason: 'maxReceiveCount' },
    });
    expect((await engine.getQueue(source)).counts.total).toBe(0);
  });

  it('moves a message whose last lease expired before the next receive returns', async () => {
    const { source, dlq } = await queuesWithDeadLetters(1);
    await engine.publish(source, { body: 'x' });
    await engine.publish(source, { body: 'y' });
    const [x] = await engine.receive(source, {});
    expect(x?.body).toBe('x');
    clock.advance(10_000);
    const [y] = await engine.receive(source, {});
    expect(y?.body).toBe('y');
    expect((await engine.browse(dlq, { state: 'all', limit: 10 })).items.map((m) => m.body)).toEqual(['x']);
  });

  it('dead-letters ready messages that already used up a newly set maxReceiveCount at the next receive', async () => {
    const source = queueName('src');
    const dlq = queueName('dlq');
    await engine.putQueue(dlq, {});
    await engine.putQueue(source, {});
    await engine.publish(source, { body: 'x' });
    await engine.publish(source, { body: 'y' });
    for (let i = 0; i < 3; i++) {
      const got = await engine.receive(source, { maxMessages: 2 });
      for (const m of got) await engine.release(source, m.receipt as string, 0);
    }
    await engine.publish(source, { body: 'fresh' });
    await engine.putQueue(source, { deadLetterQueue: dlq, maxReceiveCount: 2 });

    const [next] = await engine.receive(source, {});
    expect(next).toMatchObject({ body: 'fresh', receiveCount: 1 });
    const dead = (await engine.browse(dlq, { state: 'all', limit: 10 })).items;
    expect(dead.map((m) => [m.body, m.deadLetter?.receiveCount])).toEqual([
      ['x', 3],
      ['y', 3],
    ]);
    expect((await engine.getQueue(source)).counts).toMatchObject({ ready: 0, inFlight: 1, total: 1 });
  });

  it('dead-letters a due delayed message that used up maxReceiveCount (receive and timed work)', async () => {
    const source = queueName('src');
    const dlq = queueName('dlq');
    await engine.putQueue(dlq, {});
    await engine.putQueue(source, {});
    await engine.publish(source, { body: 'a' });
    await engine.publish(source, { body: 'b' });
    for (let i = 0; i < 2; i++) {
      const got = await engine.receive(source, { maxMessages: 2 });
      for (const m of got) await engine.release(source, m.receipt as string, 5);
      clock.advance(5_000);
    }
    await engine.putQueue(source, { deadLetterQueue: dlq, maxReceiveCount: 1 });
    // 'a' and 'b' are due delayed timers with receiveCount 2.
    await engine.runDueWork();
    expect(await engine.receive(source, { maxMessages: 10 })).toEqual([]);
    expect((await engine.getQueue(source)).counts.total).toBe(0);
    expect((await engine.getQueue(dlq)).counts.total).toBe(2);
  });

  it('refuses to delete a queue that is another queue’s dead-letter queue', async () => {
    const { source, dlq } = await queuesWithDeadLetters();
    await expect(engine.deleteQueue(dlq)).rejects.toMatchObject({ code: 'Conflict' });
    await engine.putQueue(source, { deadLetterQueue: null, maxReceiveCount: null });
    await engine.deleteQueue(dlq);
  });

  it('accepts dead letters into a full bounded dead-letter queue', async () => {
    const dlq = queueName('dlq');
    const source = queueName('src');
    await engine.putQueue(dlq, { maxMessages: 1 });
    await engine.putQueue(source, { deadLetterQueue: dlq, maxReceiveCount: 1 });
    await engine.publish(dlq, { body: 'already there' });
    await engine.publish(source, { body: 'doomed' });
    const [m] = await engine.receive(source, {});
    await engine.release(source, m?.receipt as string, 0);
    expect((await engine.getQueue(dlq)).counts.total).toBe(2);
  });
});

describe('redrive', () => {
  it('moves dead letters back to their source with receiveCount restarted and deadLetter gone', async () => {
    const { source, dlq } = await queuesWithDeadLetters(1);
    const published = await engine.publish(source, { body: 'again' });
    const [m] = await engine.receive(source, {});
    await engine.release(source, m?.receipt as string, 0);
    const before = await engine.getMessage(dlq, published.id);

    expect(await engine.redrive(dlq, {})).toEqual({ moved: 1 });
    const [back] = await engine.receive(source, {});
    expect(back).toMatchObject({
      id: published.id,
      receiveCount: 1,
      deadLetter: null,
      publishedAt: before.publishedAt,
    });
  });

  it('moves to an explicit target, at most maxMessages, in order', async () => {
    const from = queueName();
    const to = queueName();
    await engine.putQueue(from, {});
    await engine.putQueue(to, {});
    await engine.publishBatch(from, [{ body: 1 }, { body: 2 }, { body: 3 }]);
    expect(await engine.redrive(from, { to, maxMessages: 2 })).toEqual({ moved: 2 });
    const got = await engine.receive(to, { maxMessages: 10, ack: 'auto' });
    expect(got.map((m) => m.body)).toEqual([1, 2]);
    await expect(engine.redrive(from, { to: queueName('missing') })).rejects.toMatchObject({
      code: 'QueueNotFound',
    });
  });

  it("moves every member of a group, in the group's order (a member that became the head meanwhile too)", async () => {
    const from = queueName('from');
    const to = queueName('to');
    await engine.putQueue(from, {});
    await engine.putQueue(to, {});
    for (const n of [1, 2, 3]) await engine.publish(from, { body: n, groupId: 'g' });
    await engine.publish(from, { body: 4 });
    expect(await engine.redrive(from, { to })).toEqual({ moved: 4 });
    expect((await engine.getQueue(from)).counts.total).toBe(0);
    const got: unknown[] = [];
    for (let i = 0; i < 4; i++) {
      for (const m of await engine.receive(to, { maxMessages: 10, ack: 'auto' }))
        if (m.groupId === 'g') got.push(m.body);
    }
    expect(got).toEqual([1, 2, 3]);
  });

  it('gives a dead letter of a lifo dead-letter queue its group back when it is redriven to its fifo source', async () => {
    const source = queueName('src');
    const dlq = queueName('dlq');
    await engine.putQueue(dlq, { order: 'lifo' });
    await engine.putQueue(source, { deadLetterQueue: dlq, maxReceiveCount: 1 });
    await engine.publish(source, { body: 1, groupId: 'g' });
    const [m] = await engine.receive(source, {});
    await engine.release(source, m?.receipt as string, 0);
    expect((await engine.browse(dlq, { state: 'all', limit: 10 })).items.map((d) => d.groupId)).toEqual([
      'g',
    ]);
    await engine.publish(source, { body: 0, groupId: 'g' });
    expect(await engine.redrive(dlq, {})).toEqual({ moved: 1 });
    const back = (await engine.browse(source, { state: 'all', limit: 10 })).items;
    expect(back.map((b) => [b.body, b.groupId])).toEqual([
      [0, 'g'],
      [1, 'g'],
    ]);
    // A member of the group again: it waits behind the head.
    expect((await engine.receive(source, { maxMessages: 10 })).map((b) => b.body)).toEqual([0]);
  });
});
