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

describe('sharded queues (16 shards): a receive finds a non-empty shard in few queries', () => {
  /** A consumer in another process: it has no hints from publishing. */
  const consumer = async () => {
    const { client, tableName } = engine.store;
    const other = new DynamoEngine({ client, tableName, clock, configCacheMs: 60_000 });
    return other;
  };

  it('publish = 2, ack = 1 as with one shard; busy: about one query per receive', async () => {
    const queue = queueName();
    await engine.putQueue(queue, { shards: 16 });
    // One at a time, so they spread over every shard (a batch goes to one shard).
    for (let i = 0; i < 160; i++) await engine.publish(queue, { body: i });
    await engine.publish(queue, { body: 'warm-up' });
    counter.take();
    await engine.publish(queue, { body: 'one' });
    expect(counter.take().requests).toEqual({ UpdateItem: 1, PutItem: 1 });

    const reader = await consumer();
    await reader.receive(queue, { ack: 'auto' }); // reads the configuration once
    counter.take();
    const receives = 60;
    let queries = 0;
    for (let i = 0; i < receives; i++) {
      const [message] = await reader.receive(queue, {});
      expect(message).toBeDefined();
      queries += counter.take().requests.Query ?? 0;
      await reader.ack(queue, message?.receipt as string);
      expect(counter.take().requests).toEqual({ DeleteItem: 1 });
    }
    const perReceive = queries / receives;
    console.info(
      `sharded busy receive: ${perReceive.toFixed(2)} queries per receive (16 shards, ${receives} receives)`,
    );
    // A shard that a consumer drains costs it one empty query before it moves on.
    expect(perReceive).toBeLessThanOrEqual(1.5);
  }, 120_000);

  it('nearly empty (one message in 16 shards): at most 4 queries a call, found within 4 calls', async () => {
    const queue = queueName();
    await engine.putQueue(queue, { shards: 16 });
    const reader = await consumer();
    await reader.receive(queue, {}); // reads the configuration once
    const perCall: number[] = [];
    for (let trial = 0; trial < 8; trial++) {
      await engine.publish(queue, { body: trial });
      counter.take();
      let found = false;
      for (let call = 0; call < 4 && !found; call++) {
        found = (await reader.receive(queue, { ack: 'auto' })).length > 0;
        perCall.push(counter.take().requests.Query ?? 0);
      }
      expect(found).toBe(true);
    }
    const average = perCall.reduce((a, b) => a + b, 0) / perCall.length;
    console.info(
      `sharded nearly-empty receive: at most ${Math.max(...perCall)} queries a call, ${average.toFixed(2)} on average, ${perCall.length} calls for 8 messages`,
    );
    expect(Math.max(...perCall)).toBeLessThanOrEqual(4);
  }, 60_000);
});
