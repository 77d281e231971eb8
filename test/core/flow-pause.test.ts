import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoEngine } from '../../functions/core/dynamo-engine';
import { QueueNotFoundError } from '../../functions/core/errors';
import { type ManualClock, queueName, testEngine } from '../support/engine';
import { countRequests } from '../support/request-counter';

let engine: DynamoEngine;
let clock: ManualClock;
let client: DynamoDBClient;
let tableName: string;
let counter: ReturnType<typeof countRequests>;

beforeAll(async () => {
  ({ engine, clock, client, tableName } = await testEngine());
  counter = countRequests(client);
});

describe('pause and resume', () => {
  it('a paused queue accepts publishes, counts and browses them, and delivers nothing until resumed', async () => {
    const queue = queueName();
    await engine.putQueue(queue, {});
    await engine.publish(queue, { body: 'before' });
    await engine.pauseQueue(queue);
    await engine.publish(queue, { body: 'during' });

    expect(await engine.receive(queue, { maxMessages: 10 })).toEqual([]);
    expect(await engine.receive(queue, { maxMessages: 10, ack: 'auto' })).toEqual([]);
    const paused = await engine.getQueue(queue);
    expect(paused.paused).toBe(true);
    expect(paused.counts).toEqual({ ready: 2, delayed: 0, inFlight: 0, total: 2 });
    const page = await engine.browse(queue, { state: 'ready', limit: 10 });
    // Browsing is not a receive: nothing was counted while paused.
    expect(page.items.map((m) => [m.body, m.receiveCount])).toEqual([
      ['before', 0],
      ['during', 0],
    ]);

    await engine.resumeQueue(queue);
    expect((await engine.getQueue(queue)).paused).toBe(false);
    const got = await engine.receive(queue, { maxMessages: 10 });
    expect(got.map((m) => [m.body, m.receiveCount])).toEqual([
      ['before', 1],
      ['during', 1],
    ]);
  });

  it('a receive of a paused queue asks nothing of the store (the flag is in the cached configuration)', async () => {
    const queue = queueName();
    await engine.putQueue(queue, {});
    await engine.publish(queue, { body: 1 });
    await engine.pauseQueue(queue);
    await engine.receive(queue, {}); // reads the configuration once
    counter.take();
    for (let i = 0; i < 5; i++) expect(await engine.receive(queue, { maxMessages: 10 })).toEqual([]);
    expect(counter.take().total).toBe(0);
  });

  it('keeps messages in flight leased: ack works while paused', async () => {
    const queue = queueName();
    await engine.putQueue(queue, {});
    await engine.publish(queue, { body: 1 });
    const [held] = await engine.receive(queue, {});
    await engine.pauseQueue(queue);
    await engine.ack(queue, held?.receipt as string);
    expect((await engine.getQueue(queue)).counts.total).toBe(0);
  });

  it('shows the flag in listings, keeps it through configuration updates, and pausing twice is harmless', async () => {
    const queue = queueName();
    await engine.putQueue(queue, {});
    await engine.pauseQueue(queue);
    await engine.pauseQueue(queue);
    const { queue: updated } = await engine.putQueue(queue, { visibilityTimeoutSeconds: 5 });
    expect(updated.paused).toBe(true);
    const listed = await engine.listQueues({ limit: 100 });
    expect(listed.items.find((q) => q.name === queue)).toMatchObject({
      paused: true,
      visibilityTimeoutSeconds: 5,
    });
    await engine.resumeQueue(queue);
    await engine.resumeQueue(queue);
    const again = await engine.listQueues({ limit: 100 });
    expect(again.items.find((q) => q.name === queue)?.paused).toBe(false);
  });

  it('answers QueueNotFound for a queue that does not exist', async () => {
    await expect(engine.pauseQueue(queueName('missing'))).rejects.toBeInstanceOf(QueueNotFoundError);
    await expect(engine.resumeQueue(queueName('missing'))).rejects.toBeInstanceOf(QueueNotFoundError);
  });

  it('applies in another process once its configuration cache has expired', async () => {
    const queue = queueName();
    const other = new DynamoEngine({ client, tableName, clock, configCacheMs: 0 });
    await engine.putQueue(queue, {});
    await engine.publish(queue, { body: 1 });
    await engine.publish(queue, { body: 2 });
    await engine.pauseQueue(queue);
    expect(await other.receive(queue, { maxMessages: 10 })).toEqual([]);
    await engine.resumeQueue(queue);
    expect((await other.receive(queue, { maxMessages: 10 })).map((m) => m.body)).toEqual([1, 2]);
  });

  it('wakes a long poll of the same process when the queue is resumed', async () => {
    const queue = queueName();
    await engine.putQueue(queue, {});
    await engine.publish(queue, { body: 'waiting' });
    await engine.pauseQueue(queue);
    const polling = engine.receive(queue, { waitSeconds: 10 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = performance.now();
    await engine.resumeQueue(queue);
    const got = await polling;
    expect(got.map((m) => m.body)).toEqual(['waiting']);
    // Woken by the resume, not by the end of the 10 s wait.
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
