import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { fetchMessages } from '../../functions/core/batch-get';
import type { DynamoEngine } from '../../functions/core/dynamo-engine';
import { type ManualClock, queueName, testEngine } from '../support/engine';

let engine: DynamoEngine;
let clock: ManualClock;

beforeAll(async () => {
  ({ engine, clock } = await testEngine());
});

describe('queues', () => {
  it('creates with defaults, then updates only the given fields', async () => {
    const name = queueName();
    const created = await engine.putQueue(name, {});
    expect(created.created).toBe(true);
    expect(created.queue).toMatchObject({
      name,
      order: 'fifo',
      visibilityTimeoutSeconds: 30,
      maxMessages: 0,
    });
    const updated = await engine.putQueue(name, { visibilityTimeoutSeconds: 5 });
    expect(updated).toMatchObject({ created: false, queue: { visibilityTimeoutSeconds: 5, order: 'fifo' } });
    await expect(engine.putQueue(name, { order: 'lifo' })).rejects.toMatchObject({ code: 'Conflict' });
    const got = await engine.getQueue(name);
    expect(got.counts).toEqual({ ready: 0, delayed: 0, inFlight: 0, total: 0 });
  });
});

describe('publish → receive → ack', () => {
  it('delivers in publish order with priorities first, and acks', async () => {
    const name = queueName();
    await engine.putQueue(name, {});
    await engine.publish(name, { body: 'a' });
    await engine.publish(name, { body: 'b' });
    await engine.publish(name, { body: 'urgent', priority: 5 });
    const got = await engine.receive(name, { maxMessages: 3 });
    expect(got.map((m) => m.body)).toEqual(['urgent', 'a', 'b']);
    expect(got.every((m) => m.receiveCount === 1 && typeof m.receipt === 'string')).toBe(true);
    for (const m of got) await engine.ack(name, m.receipt as string);
    await expect(engine.ack(name, got[0]?.receipt as string)).rejects.toMatchObject({
      code: 'ReceiptExpired',
    });
    expect((await engine.getQueue(name)).counts.total).toBe(0);
  });

  it('delivers lifo in reverse publish order', async () => {
    const name = queueName();
    await engine.putQueue(name, { order: 'lifo' });
    await engine.publishBatch(name, [{ body: 1 }, { body: 2 }, { body: 3 }]);
    const got = await engine.receive(name, { maxMessages: 3, ack: 'auto' });
    expect(got.map((m) => m.body)).toEqual([3, 2, 1]);
    expect(got[0]?.receipt).toBeUndefined();
  });

  it('redelivers after the lease expires, with receiveCount one higher, and a late ack still works', async () => {
    const name = queueName();
    await engine.putQueue(name, { visibilityTimeoutSeconds: 10 });
    await engine.publish(name, { body: { x: 1 } });
    const [first] = await engine.receive(name, {});
    expect(await engine.receive(name, {})).toEqual([]);
    expect((await engine.getQueue(name)).counts).toMatchObject({ inFlight: 1, ready: 0 });
    clock.advance(10_000);
    expect((await engine.getQueue(name)).counts).toMatchObject({ inFlight: 0, ready: 1 });
    const [second] = await engine.receive(name, {});
    expect(second?.receiveCount).toBe(2);
    await expect(engine.ack(name, first?.receipt as string)).rejects.toMatchObject({
      code: 'ReceiptExpired',
    });
    clock.advance(10_000);
    await engine.runDueWork();
    await engine.ack(name, second?.receipt as string);
  });

  it('holds delayed messages until due and keeps their place in publish order', async () => {
    const name = queueName();
    await engine.putQueue(name, {});
    const delayed = await engine.publish(name, { body: 'first', delaySeconds: 60 });
    await engine.publish(name, { body: 'second' });
    expect(delayed.deliverAt).toBe(clock() + 60_000);
    expect((await engine.getQueue(name)).counts).toMatchObject({ delayed: 1, ready: 1 });
    clock.advance(60_000);
    await engine.runDueWork();
    const got = await engine.receive(name, { maxMessages: 2, ack: 'auto' });
    expect(got.map((m) => m.body)).toEqual(['first', 'second']);
  });

  it('release, extend and browse', async () => {
    const name = queueName();
    await engine.putQueue(name, {});
    const { id } = await engine.publish(name, { body: 'x', attributes: { k: 'v' } });
    const [m] = await engine.receive(name, { visibilityTimeoutSeconds: 5 });
    const { leaseExpiresAt } = await engine.extend(name, m?.receipt as string, 100);
    expect(leaseExpiresAt).toBe(clock() + 100_000);
    const view = await engine.getMessage(name, id);
    expect(view).toMatchObject({ state: 'inFlight', leaseExpiresAt, attributes: { k: 'v' } });
    await engine.release(name, m?.receipt as string, 0);
    expect((await engine.getMessage(name, id)).state).toBe('ready');
    await expect(engine.release(name, m?.receipt as string, 0)).rejects.toMatchObject({
      code: 'ReceiptExpired',
    });
    const page = await engine.browse(name, { state: 'all', limit: 10 });
    expect(page.items.map((v) => v.id)).toEqual([id]);
    await engine.deleteMessage(name, id);
    await expect(engine.getMessage(name, id)).rejects.toMatchObject({ code: 'MessageNotFound' });
  });

  it('bounded queues refuse beyond maxMessages and make room on ack', async () => {
    const name = queueName();
    await engine.putQueue(name, { maxMessages: 2 });
    await engine.publish(name, { body: 1 });
    const results = await engine.publishBatch(name, [{ body: 2 }, { body: 3 }]);
    expect(results.map((r) => r.ok)).toEqual([true, false]);
    await expect(engine.publish(name, { body: 4 })).rejects.toMatchObject({ code: 'QueueFull' });
    const [m] = await engine.receive(name, {});
    await engine.ack(name, m?.receipt as string);
    await engine.publish(name, { body: 5 });
  });

  it('purge empties the queue and expires receipts', async () => {
    const name = queueName();
    await engine.putQueue(name, {});
    await engine.publishBatch(name, [{ body: 1 }, { body: 2 }]);
    const [m] = await engine.receive(name, {});
    await engine.purgeQueue(name);
    expect((await engine.getQueue(name)).counts.total).toBe(0);
    await expect(engine.ack(name, m?.receipt as string)).rejects.toMatchObject({ code: 'ReceiptExpired' });
  });
});

describe('attributes', () => {
  it('keeps any attribute name, including __proto__', async () => {
    const name = queueName();
    await engine.putQueue(name, {});
    const attributes = JSON.parse('{"__proto__":"x","constructor":"y"}') as Record<string, string>;
    const { id } = await engine.publish(name, { body: 1, attributes });
    expect(JSON.stringify((await engine.getMessage(name, id)).attributes)).toBe(
      '{"__proto__":"x","constructor":"y"}',
    );
    const topic = queueName('topic');
    await engine.putTopic(topic, [{ queue: name, filter: JSON.parse('{"__proto__":["x"]}') }]);
    expect((await engine.publishToTopic(topic, { body: 2, attributes })).deliveries).toHaveLength(1);
    expect((await engine.publishToTopic(topic, { body: 3 })).deliveries).toHaveLength(0);
  });
});

describe('fetching messages by key', () => {
  it('asks for a key named twice once, and answers it once', async () => {
    const key = { pk: `X#${queueName()}`, sk: 'M#1' };
    await engine.store.client.send(
      new PutItemCommand({
        TableName: engine.store.tableName,
        Item: { pk: { S: key.pk }, sk: { S: key.sk } },
      }),
    );
    const items = await fetchMessages(engine.store, [key, key]);
    expect(items.map((item) => item.sk)).toEqual(['M#1']);
  });
});
