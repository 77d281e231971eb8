import { beforeAll, describe, expect, it } from 'vitest';
import type { DynamoEngine } from '../../functions/core/dynamo-engine';
import { type ManualClock, queueName, testEngine } from '../support/engine';

let engine: DynamoEngine;
let clock: ManualClock;

beforeAll(async () => {
  ({ engine, clock } = await testEngine());
});

describe('reschedule', () => {
  it('delays a ready message and brings a delayed one forward, keeping its place in publish order', async () => {
    const queue = queueName();
    await engine.putQueue(queue, {});
    const a = await engine.publish(queue, { body: 'a' });
    const b = await engine.publish(queue, { body: 'b', delaySeconds: 3600 });
    await engine.publish(queue, { body: 'c' });

    const delayed = await engine.rescheduleMessage(queue, a.id, { deliverAt: clock() + 60_000 });
    expect(delayed).toMatchObject({ state: 'delayed', deliverAt: clock() + 60_000 });
    const now = await engine.rescheduleMessage(queue, b.id, { deliverAt: clock() - 1 });
    expect(now).toMatchObject({ state: 'ready', deliverAt: clock() });
    const got = await engine.receive(queue, { maxMessages: 10, ack: 'auto' });
    expect(got.map((m) => m.body)).toEqual(['b', 'c']);
  });

  it('changes priority', async () => {
    const queue = queueName();
    await engine.putQueue(queue, {});
    await engine.publish(queue, { body: 'first' });
    const second = await engine.publish(queue, { body: 'second' });
    expect(await engine.rescheduleMessage(queue, second.id, { priority: 9 })).toMatchObject({ priority: 9 });
    const got = await engine.receive(queue, { maxMessages: 2, ack: 'auto' });
    expect(got.map((m) => m.body)).toEqual(['second', 'first']);
  });

  it('refuses an in-flight message and a missing one', async () => {
    const queue = queueName();
    await engine.putQueue(queue, {});
    const { id } = await engine.publish(queue, { body: 'x' });
    await engine.receive(queue, {});
    await expect(engine.rescheduleMessage(queue, id, { priority: 1 })).rejects.toMatchObject({
      code: 'Conflict',
    });
    await expect(engine.rescheduleMessage(queue, 'nope', { priority: 1 })).rejects.toMatchObject({
      code: 'MessageNotFound',
    });
  });
});

describe('reschedule of a message whose lease ended while its receipt still holds', () => {
  it('keeps the receipt able to release and extend after a priority change', async () => {
    const queue = queueName();
    await engine.putQueue(queue, {});
    const { id } = await engine.publish(queue, { body: 'x' });
    const [m] = await engine.receive(queue, { visibilityTimeoutSeconds: 0 });
    await engine.rescheduleMessage(queue, id, { priority: 5 });
    await engine.extend(queue, m?.receipt as string, 30);
    await engine.release(queue, m?.receipt as string, 0);
    const [again] = await engine.receive(queue, {});
    expect(again).toMatchObject({ id, priority: 5, receiveCount: 2 });
  });

  it('moves an exhausted one to the dead-letter queue instead of rescheduling it', async () => {
    const dlq = queueName('dlq');
    const queue = queueName();
    await engine.putQueue(dlq, {});
    await engine.putQueue(queue, { deadLetterQueue: dlq, maxReceiveCount: 1 });
    const { id } = await engine.publish(queue, { body: 'x' });
    await engine.receive(queue, { visibilityTimeoutSeconds: 0 });
    await expect(engine.rescheduleMessage(queue, id, { priority: 5 })).rejects.toMatchObject({
      code: 'MessageNotFound',
    });
    expect((await engine.getMessage(dlq, id)).deadLetter).toMatchObject({ sourceQueue: queue });
  });
});

describe('a receive after dead-lettering an ended lease', () => {
  it('delivers the next member of the group that the dead letter unblocked', async () => {
    const dlq = queueName('dlq');
    const queue = queueName();
    await engine.putQueue(dlq, {});
    await engine.putQueue(queue, { deadLetterQueue: dlq, maxReceiveCount: 1 });
    await engine.publish(queue, { body: 1, groupId: 'g' });
    await engine.publish(queue, { body: 2, groupId: 'g' });
    await engine.receive(queue, { visibilityTimeoutSeconds: 0 });
    const [next] = await engine.receive(queue, {});
    expect(next?.body).toBe(2);
  });
});
