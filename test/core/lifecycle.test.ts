/**
 * A queue's lifecycle across processes: delete and re-create, delete against references made
 * concurrently, purge. Two DynamoEngine instances on one table, each with its own client and its
 * own configuration cache, stand for two server processes; a paused request puts one process's
 * work exactly between two requests of the other's.
 */
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
