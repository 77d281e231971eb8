import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DynamoEngine } from '../../functions/core/dynamo-engine';
import { type ManualClock, queueName, testEngine } from '../support/engine';

let engine: DynamoEngine;
let clock: ManualClock;

beforeAll(async () => {
  ({ engine, clock } = await testEngine());
});

describe('deduplication', () => {
  it('stores nothing for a duplicate and answers the first id, also after it was consumed', async () => {
    const queue = queueName();
    await engine.putQueue(queue, { deduplicationWindowSeconds: 60 });
    const first = await engine.publish(queue, { body: 1, deduplicationId: 'order-7' });
    expect(first.duplicate).toBe(false);
    const again = await engine.publish(queue, { body: 2, deduplicationId: 'order-7' });
    expect(again).toEqual({ id: first.id, deliverAt: first.deliverAt, duplicate: true });
    await engine.receive(queue, { ack: 'auto' });
    expect((await engine.publish(queue, { body: 3, deduplicationId: 'order-7' })).id).toBe(first.id);
    expect((await engine.getQueue(queue)).counts.total).toBe(0);

    clock.advance(60_000);
    const later = await engine.publish(queue, { body: 4, deduplicationId: 'order-7' });
    expect(later).toMatchObject({ duplicate: false });
    expect(later.id).not.toBe(first.id);
  });

  it('stores exactly one of 20 concurrent publishes with the same id', async () => {
    const queue = queueName();
    await engine.putQueue(queue, {});
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => engine.publish(queue, { body: i, deduplicationId: 'same' })),
    );
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect((await engine.getQueue(queue)).counts.total).toBe(1);
  });

  it('treats a repeated id inside one batch as a duplicate of its first occurrence', async () => {
    const queue = queueName();
    await engine.putQueue(queue, {});
    const results = await engine.publishBatch(queue, [
      { body: 'a', deduplicationId: 'k' },
      { body: 'b' },
      { body: 'c', deduplicationId: 'k' },
    ]);
    const values = results.map((r) => (r.ok ? r.value : undefined));
    expect(values[2]).toMatchObject({ id: values[0]?.id, duplicate: true });
    const got = await engine.receive(queue, { maxMessages: 10, ack: 'auto' });
    expect(got.map((m) => m.body)).toEqual(['a', 'b']);
  });

  it('checks duplicates before the bound, keeps records over a purge and drops them with the queue', async () => {
    const queue = queueName();
    await engine.putQueue(queue, { maxMessages: 1 });
    const first = await engine.publish(queue, { body: 1, deduplicationId: 'x' });
    expect(await engine.publish(queue, { body: 1, deduplicationId: 'x' })).toMatchObject({ duplicate: true });
    await expect(engine.publish(queue, { body: 2 })).rejects.toMatchObject({ code: 'QueueFull' });
    await engine.purgeQueue(queue);
    expect((await engine.publish(queue, { body: 1, deduplicationId: 'x' })).id).toBe(first.id);
    await engine.deleteQueue(queue);
    await engine.putQueue(queue, {});
    expect(await engine.publish(queue, { body: 1, deduplicationId: 'x' })).toMatchObject({
      duplicate: false,
    });
  });

  it('is off with a window of 0', async () => {
    const queue = queueName();
    await engine.putQueue(queue, { deduplicationWindowSeconds: 0 });
    await engine.publish(queue, { body: 1, deduplicationId: 'x' });
    expect(await engine.publish(queue, { body: 1, deduplicationId: 'x' })).toMatchObject({
      duplicate: false,
    });
  });
});

describe('deduplication records', () => {
  it('are cleaned up by the timed work once past their window', async () => {
    const queue = queueName();
    await engine.putQueue(queue, { deduplicationWindowSeconds: 10 });
    await engine.publish(queue, { body: 1, deduplicationId: 'old' });
    const records = async () =>
      (
        await engine.store.client.send(
          new QueryCommand({
            TableName: engine.store.tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :d)',
            ExpressionAttributeValues: { ':pk': { S: `Q#${queue}` }, ':d': { S: 'D#' } },
          }),
        )
      ).Count;
    expect(await records()).toBe(1);
    clock.advance(3_600_000);
    await engine.runDueWork();
    expect(await records()).toBe(0);
  });
});
