/**
 * What each operation costs in DynamoDB requests, counted (not estimated) on DynamoDB Local.
 * These are the figures the bars of docs/performance.md are about; `npm run bench` reports them at scale.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoEngine } from '../../functions/core/dynamo-engine';
import { freshTable } from '../support/dynamo';
import { manualClock, queueName } from '../support/engine';
import { countRequests } from '../support/request-counter';

let engine: DynamoEngine;
let counter: ReturnType<typeof countRequests>;
const clock = manualClock();

beforeAll(async () => {
  const { client, tableName } = await freshTable();
  counter = countRequests(client);
  engine = new DynamoEngine({ client, tableName, clock, configCacheMs: 60_000 });
});

describe('requests per operation (unbounded queue, configuration cached)', () => {
  it('publish = 2, receive = 2, ack = 1', async () => {
    const queue = queueName();
    await engine.putQueue(queue, {});
    await engine.publish(queue, { body: 'warm-up' });
    await engine.receive(queue, { ack: 'auto' });
    counter.take();

    await engine.publish(queue, { body: { order: 1 } });
    expect(counter.take().requests).toEqual({ UpdateItem: 1, PutItem: 1 });
    const [message] = await engine.receive(queue, {});
    expect(counter.take().requests).toEqual({ Query: 1, UpdateItem: 1 });
    await engine.ack(queue, message?.receipt as string);
    expect(counter.take().requests).toEqual({ DeleteItem: 1 });
  });

  it('a queue with a dead-letter queue receives with one query too when its window reaches the due timers', async () => {
    const dlq = queueName('dlq');
    const queue = queueName();
    await engine.putQueue(dlq, {});
    await engine.putQueue(queue, { deadLetterQueue: dlq, maxReceiveCount: 3 });
    await engine.publish(queue, { body: 'warm-up' });
    await engine.receive(queue, { ack: 'auto' });
    await engine.publish(queue, { body: 1 });
    counter.take();
    const [message] = await engine.receive(queue, {});
    expect(counter.take().requests).toEqual({ Query: 1, UpdateItem: 1 });
    await engine.ack(queue, message?.receipt as string);
  });

  it('in batches of 10: one sequence update and one batch write, one query and 10 claims, one ack transaction', async () => {
    const queue = queueName();
    await engine.putQueue(queue, {});
    await engine.receive(queue, {});
    counter.take();

    await engine.publishBatch(
      queue,
      Array.from({ length: 10 }, (_, i) => ({ body: i })),
    );
    expect(counter.take().requests).toEqual({ UpdateItem: 1, BatchWriteItem: 1 });
    const messages = await engine.receive(queue, { maxMessages: 10 });
    expect(messages).toHaveLength(10);
    expect(counter.take().requests).toEqual({ Query: 1, UpdateItem: 10 });
    await engine.ackBatch(
      queue,
      messages.map((m) => m.receipt as string),
    );
    expect(counter.take().requests).toEqual({ TransactWriteItems: 1 });
  });
});

describe('receive does not pay for the backlog', () => {
  it('reads a handful of items with 2,000 delayed and 200 in-flight messages in the queue', async () => {
    const queue = queueName();
    await engine.putQueue(queue, {});
    for (let i = 0; i < 80; i++) {
      await engine.publishBatch(
        queue,
        Array.from({ length: 25 }, (_, j) => ({ body: i * 25 + j, delaySeconds: 3600 })),
      );
    }
    for (let i = 0; i < 8; i++)
      await engine.publishBatch(
        queue,
        Array.from({ length: 25 }, (_, j) => ({ body: j })),
      );
    for (let i = 0; i < 20; i++)
      await engine.receive(queue, { maxMessages: 10, visibilityTimeoutSeconds: 600 });
    expect((await engine.getQueue(queue)).counts).toEqual({
      ready: 0,
      delayed: 2000,
      inFlight: 200,
      total: 2200,
    });
    await engine.publish(queue, { body: 'the one' });
    counter.take();

    const [message] = await engine.receive(queue, {});
    expect(message?.body).toBe('the one');
    const { itemsRead, requests } = counter.take();
    expect(requests).toEqual({ Query: 1, UpdateItem: 1 });
    expect(itemsRead).toBeLessThanOrEqual(10);
  }, 180_000);
});
