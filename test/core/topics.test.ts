import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoEngine } from '../../functions/core/dynamo-engine';
import { freshTable, testClient } from '../support/dynamo';
import { manualClock, queueName } from '../support/engine';

let engine: DynamoEngine;
let faultyEngine: DynamoEngine;
let failNextTransaction = false;

beforeAll(async () => {
  const { client, tableName } = await freshTable();
  const clock = manualClock();
  engine = new DynamoEngine({ client, tableName, clock });
  // A second client on the same table whose next TransactWriteItems fails in flight, as a
  // network fault or a crash in the middle of the fan-out would.
  const faulty = testClient();
  faulty.middlewareStack.add(
    (next, context) => async (args) => {
      if (failNextTransaction && context.commandName === 'TransactWriteItemsCommand') {
        failNextTransaction = false;
        throw Object.assign(new Error('socket hang up'), { name: 'Error', code: 'ECONNRESET' });
      }
      return next(args);
    },
    { step: 'initialize', name: 'faultInjector' },
  );
  faultyEngine = new DynamoEngine({ client: faulty, tableName, clock });
});

describe('topics', () => {
  it('fans out to every subscribed queue whose filter matches', async () => {
    const [all, eu, none] = [queueName('all'), queueName('eu'), queueName('none')];
    for (const q of [all, eu, none]) await engine.putQueue(q, {});
    const topic = queueName('topic');
    const { created } = await engine.putTopic(topic, [
      { queue: all },
      { queue: eu, filter: { region: ['eu-west-1', 'eu-central-1'] } },
      { queue: none, filter: { region: [] } },
    ]);
    expect(created).toBe(true);

    const result = await engine.publishToTopic(topic, {
      body: { order: 1 },
      attributes: { region: 'eu-west-1' },
    });
    expect(result.deliveries.map((d) => d.queue)).toEqual([all, eu]);
    const [copy] = await engine.receive(eu, {});
    expect(copy).toMatchObject({ id: result.deliveries[1]?.id, body: { order: 1 } });
    expect(result.deliveries[0]?.id).not.toBe(result.deliveries[1]?.id);

    const us = await engine.publishToTopic(topic, { body: 2, attributes: { region: 'us-east-1' } });
    expect(us.deliveries.map((d) => d.queue)).toEqual([all]);
    const nothing = await engine.putTopic(queueName('empty'), []);
    expect((await engine.publishToTopic(nothing.topic.name, { body: 3 })).deliveries).toEqual([]);
  });

  it('delivers to no queue when one matching queue is full', async () => {
    const [open, full] = [queueName('open'), queueName('full')];
    await engine.putQueue(open, {});
    await engine.putQueue(full, { maxMessages: 1 });
    await engine.publish(full, { body: 'filler' });
    const topic = queueName('topic');
    await engine.putTopic(topic, [{ queue: open }, { queue: full }]);
    await expect(engine.publishToTopic(topic, { body: 'x' })).rejects.toMatchObject({ code: 'QueueFull' });
    expect((await engine.getQueue(open)).counts.total).toBe(0);
    expect((await engine.getQueue(full)).counts.total).toBe(1);
  });

  it('checks deduplication per queue and honours each queue’s own delay and groups', async () => {
    const [fifo, lifo] = [queueName('fifo'), queueName('lifo')];
    await engine.putQueue(fifo, { delaySeconds: 30 });
    await engine.putQueue(lifo, { order: 'lifo' });
    await engine.publish(fifo, { body: 'earlier', deduplicationId: 'd1' });
    const topic = queueName('topic');
    await engine.putTopic(topic, [{ queue: fifo }, { queue: lifo }]);
    const result = await engine.publishToTopic(topic, { body: 'x', deduplicationId: 'd1', groupId: 'g' });
    expect(result.deliveries[0]).toMatchObject({ queue: fifo, duplicate: true });
    expect(result.deliveries[1]).toMatchObject({ queue: lifo });
    expect(result.deliveries[1]?.duplicate).toBeUndefined();
    const [copy] = await engine.receive(lifo, {});
    expect(copy?.groupId).toBeNull();
  });

  it('leaves nothing half-done when the fan-out transaction fails in flight', async () => {
    const [a, b] = [queueName('a'), queueName('b')];
    await engine.putQueue(a, {});
    await engine.putQueue(b, {});
    const topic = queueName('topic');
    await engine.putTopic(topic, [{ queue: a }, { queue: b }]);
    failNextTransaction = true;
    await expect(faultyEngine.publishToTopic(topic, { body: 'x' })).rejects.toMatchObject({
      code: 'ServiceUnavailable',
    });
    expect((await engine.getQueue(a)).counts.total).toBe(0);
    expect((await engine.getQueue(b)).counts.total).toBe(0);
  });

  it('refuses subscriptions to missing queues and deleting a subscribed queue', async () => {
    const queue = queueName();
    await engine.putQueue(queue, {});
    const missing = queueName('missing');
    await expect(engine.putTopic(queueName('t'), [{ queue }, { queue: missing }])).rejects.toMatchObject({
      code: 'QueueNotFound',
      queue: missing,
    });
    const topic = queueName('topic');
    await engine.putTopic(topic, [{ queue }]);
    await expect(engine.deleteQueue(queue)).rejects.toMatchObject({ code: 'Conflict' });
    await engine.deleteTopic(topic);
    await expect(engine.getTopic(topic)).rejects.toMatchObject({ code: 'TopicNotFound' });
    await engine.deleteQueue(queue);
  });

  it('lists topics in name order with a cursor', async () => {
    const page = await engine.listTopics({ limit: 2 });
    expect(page.items).toHaveLength(2);
    expect(page.cursor).not.toBeNull();
    const next = await engine.listTopics({ limit: 100, cursor: page.cursor as string });
    const names = [...page.items, ...next.items].map((t) => t.name);
    expect(names).toEqual([...names].sort());
  });
});
