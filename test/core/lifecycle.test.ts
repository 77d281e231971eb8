/**
 * A queue's lifecycle across processes: delete and re-create, delete against references made
 * concurrently, purge. Two DynamoEngine instances on one table, each with its own client and its
 * own configuration cache, stand for two server processes; a paused request puts one process's
 * work exactly between two requests of the other's.
 */
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoEngine } from '../../functions/core/dynamo-engine';
import { testClient } from '../support/dynamo';
import { type ManualClock, manualClock, queueName, testEngine } from '../support/engine';
import { expressionValue, pauseAt } from './support/pause';

let a: DynamoEngine;
let b: DynamoEngine;
let aClient: ReturnType<typeof testClient>;
let clock: ManualClock;

beforeEach(async () => {
  clock = manualClock();
  const first = await testEngine(clock);
  a = first.engine;
  aClient = first.client;
  b = new DynamoEngine({ client: testClient(), tableName: first.tableName, clock });
});

describe('delete and re-create', () => {
  it('a queue re-created while the old one is being cleaned up keeps its configuration and deduplication records', async () => {
    const name = queueName('recreate');
    await a.putQueue(name, {});
    await a.publish(name, { body: 'old', deduplicationId: 'old-id' });
    // Hold the delete's clean-up of the queue's own partition (Q#<name>: #META, D# records).
    const pause = pauseAt(
      aClient,
      (command, input) => command === 'Query' && expressionValue(input, ':pk') === `Q#${name}`,
    );
    const deleting = a.deleteQueue(name);
    await pause.reached;

    await b.putQueue(name, { visibilityTimeoutSeconds: 7 });
    const first = await b.publish(name, { body: 'new', deduplicationId: 'new-id' });
    pause.resume();
    await deleting;

    expect((await b.getQueue(name)).visibilityTimeoutSeconds).toBe(7);
    const again = await b.publish(name, { body: 'new again', deduplicationId: 'new-id' });
    expect(again).toMatchObject({ id: first.id, duplicate: true });
    // The old queue's deduplication records went with it.
    expect(await b.publish(name, { body: 'fresh', deduplicationId: 'old-id' })).toMatchObject({
      duplicate: false,
    });
    expect((await b.receive(name, { maxMessages: 10, ack: 'auto' })).map((m) => m.body)).toEqual([
      'new',
      'fresh',
    ]);
  });
});

describe('delete against references made at the same time', () => {
  it('a dead-letter reference made between the delete’s check and its write makes the delete answer Conflict', async () => {
    const dlq = queueName('dlq');
    const source = queueName('src');
    await a.putQueue(dlq, {});
    const pause = pauseAt(aClient, (command) => command === 'TransactWriteItems');
    const deleting = a.deleteQueue(dlq);
    await pause.reached;
    await b.putQueue(source, { deadLetterQueue: dlq, maxReceiveCount: 1 });
    pause.resume();
    await expect(deleting).rejects.toMatchObject({ code: 'Conflict' });
    expect((await b.getQueue(dlq)).name).toBe(dlq);
  });

  it('a topic subscription made between the delete’s check and its write makes the delete answer Conflict', async () => {
    const queue = queueName('sub');
    await a.putQueue(queue, {});
    const pause = pauseAt(aClient, (command) => command === 'TransactWriteItems');
    const deleting = a.deleteQueue(queue);
    await pause.reached;
    await b.putTopic(queueName('topic'), [{ queue }]);
    pause.resume();
    await expect(deleting).rejects.toMatchObject({ code: 'Conflict' });
    expect((await b.getQueue(queue)).name).toBe(queue);
  });

  it('a reference made after the delete committed answers QueueNotFound', async () => {
    const dlq = queueName('dlq');
    await a.putQueue(dlq, {});
    await a.deleteQueue(dlq);
    await expect(
      b.putQueue(queueName('src'), { deadLetterQueue: dlq, maxReceiveCount: 1 }),
    ).rejects.toMatchObject({
      code: 'QueueNotFound',
    });
    await expect(b.putTopic(queueName('topic'), [{ queue: dlq }])).rejects.toMatchObject({
      code: 'QueueNotFound',
    });
  });
});

describe('a reference left dangling (data written before deletes were atomic)', () => {
  /** Removes a queue's #META and registry entry behind the engine's back. */
  async function vanish(queue: string) {
    for (const key of [
      { pk: `Q#${queue}`, sk: '#META' },
      { pk: 'QUEUES', sk: queue },
    ]) {
      await aClient.send(
        new DeleteItemCommand({
          TableName: a.store.tableName,
          Key: { pk: { S: key.pk }, sk: { S: key.sk } },
        }),
      );
    }
  }

  it('receives, releases, the timed work and topic publishes carry on as if the queue had no dead-letter queue', async () => {
    const dlq = queueName('gone');
    const source = queueName('src');
    const later = `${source}-z`; // visited by the timed work after the broken queue
    await a.putQueue(dlq, {});
    await a.putQueue(source, { deadLetterQueue: dlq, maxReceiveCount: 1, visibilityTimeoutSeconds: 5 });
    await a.putQueue(later, {});
    const topic = queueName('topic');
    await a.putTopic(topic, [{ queue: dlq }, { queue: source }]);
    await a.publish(source, { body: 'one' });
    await a.publish(source, { body: 'two' });
    await a.publish(later, { body: 'delayed', delaySeconds: 1 });
    const [one] = await a.receive(source, {});
    const [two] = await a.receive(source, {});
    await vanish(dlq);
    clock.advance(10_000); // 'two' lease ended after its last allowed receive

    // A release of an exhausted message with no dead-letter queue puts it back.
    await b.release(source, one?.receipt as string, 0);
    await b.runDueWork();
    // The timed work went on to the next queue: its delayed message is ready now.
    expect((await b.browse(later, { state: 'ready', limit: 10 })).items.map((m) => m.body)).toEqual([
      'delayed',
    ]);
    const got = await b.receive(source, { maxMessages: 10 });
    expect(got.map((m) => m.body).sort()).toEqual(['one', 'two']);
    expect(two).toBeDefined();

    const published = await b.publishToTopic(topic, { body: 'fan' });
    expect(published.deliveries.map((d) => d.queue)).toEqual([source]);
  });
});

describe('purge across processes', () => {
  /** A process whose cached configuration stays (a 1 s cache on a slow machine, made certain). */
  const staleEngine = () =>
    new DynamoEngine({ client: testClient(), tableName: a.store.tableName, clock, configCacheMs: 600_000 });

  it('after purge answered, a process whose cached configuration names the old incarnation receives nothing published before it', async () => {
    const queue = queueName('purge');
    await a.putQueue(queue, {});
    const stale = staleEngine();
    await stale.receive(queue, {}); // caches the old incarnation
    await a.publishBatch(
      queue,
      Array.from({ length: 10 }, (_, i) => ({ body: i })),
    );
    await a.purgeQueue(queue);
    // The purge emptied the old partition before it answered: nothing is left there to claim.
    expect(await stale.receive(queue, { maxMessages: 10 })).toEqual([]);
    expect((await b.getQueue(queue)).counts.total).toBe(0);
  });

  it('the documented window: a publish overlapping the purge lands in the old incarnation, seen only through a stale cache', async () => {
    const queue = queueName('purge');
    await a.putQueue(queue, {});
    const stale = staleEngine();
    await stale.receive(queue, {});
    // a's publish reserves its sequence in the old incarnation, then waits while the purge runs whole.
    const pause = pauseAt(aClient, (command) => command === 'PutItem');
    const publishing = a.publish(queue, { body: 'overlapping' });
    await pause.reached;
    await b.purgeQueue(queue);
    pause.resume();
    await publishing;
    // Every reader whose configuration was read after the purge: the message went with the purge.
    expect(await b.receive(queue, {})).toEqual([]);
    expect((await b.getQueue(queue)).counts.total).toBe(0);
    // Within configCacheMs a process that still names the old incarnation can receive it
    // (docs/data-model.md, "Purge"); a condition on `inc` in every claim would close this.
    expect((await stale.receive(queue, {})).map((m) => m.body)).toEqual(['overlapping']);
  });
});

describe('concurrent publishers', () => {
  it('group order follows the order the publishes commit, not their sequence numbers', async () => {
    const queue = queueName('groups');
    await a.putQueue(queue, {});
    // a reserves its sequence number first, then waits before its transaction.
    const pause = pauseAt(aClient, (command) => command === 'TransactWriteItems');
    const early = a.publish(queue, { body: 'reserved first', groupId: 'g' });
    await pause.reached;
    await b.publish(queue, { body: 'committed first', groupId: 'g' });
    pause.resume();
    await early;
    const [head] = await b.receive(queue, {});
    expect(head?.body).toBe('committed first');
    await b.ack(queue, head?.receipt as string);
    expect((await b.receive(queue, {})).map((m) => m.body)).toEqual(['reserved first']);
  });
});
