/**
 * The minute sweep (`runDueWork`) visits only queues marked active (functions/core/active-queues.ts),
 * not every queue in the registry: no due message is left behind, idle queues cost nothing, and a
 * marker removed while a message arrives is not lost. Against DynamoDB Local with injected clocks.
 */
import { GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { STALE_MS } from '../../functions/core/active-queues';
import { DynamoEngine } from '../../functions/core/dynamo-engine';
import { ACTIVE_SLOTS, activeKey, adoptedKey } from '../../functions/core/keys';
import { toAttributes } from '../../functions/core/store';
import { manualClock, queueName, testEngine } from '../support/engine';
import { countRequests } from '../support/request-counter';

async function marked(client: DynamoEngine['store']['client'], tableName: string, queue: string) {
  const { Item } = await client.send(
    new GetItemCommand({ TableName: tableName, Key: toAttributes(activeKey(queue)), ConsistentRead: true }),
  );
  return Item !== undefined;
}

describe('the sweep over active queues', () => {
  it('promotes a delayed message on one queue among many, reading only the marked queues', async () => {
    const { engine, clock, client, tableName } = await testEngine();
    const idle = Array.from({ length: 20 }, () => queueName('idle'));
    for (const queue of idle) await engine.putQueue(queue, {});
    const busy = queueName('busy');
    await engine.putQueue(busy, {});
    await engine.runDueWork(); // adopts the queues older than markers (none had messages yet)
    clock.advance(STALE_MS + 1_000);
    await engine.runDueWork(); // settles the idle queues' markers: nothing in them
    const delayed = await engine.publish(busy, { body: 'later', delaySeconds: 120 });

    const counter = countRequests(client);
    clock.advance(121_000);
    await engine.runDueWork();
    const sweep = counter.take();
    // One marked queue: its configuration, its due timers, the promotion, the tidy-up queries,
    // and the markers' Queries (one per slot); nothing per idle queue (21 queues in the registry).
    expect(sweep.total).toBeLessThanOrEqual(7 + ACTIVE_SLOTS);
    expect(sweep.requests.Query ?? 0).toBeLessThanOrEqual(4 + ACTIVE_SLOTS);
    const [message] = await engine.receive(busy, { maxMessages: 1 });
    expect(message?.id).toBe(delayed.id);
    expect((await engine.getMessage(busy, delayed.id)).state).toBe('inFlight');

    // Idle: the sweep reads the marker partitions, and nothing else.
    await engine.ack(busy, message?.receipt as string);
    clock.advance(STALE_MS + 1_000);
    await engine.runDueWork(); // settles the busy queue's marker: it is empty now
    expect(await marked(client, tableName, busy)).toBe(false);
    counter.take();
    clock.advance(60_000);
    await engine.runDueWork();
    expect(counter.take()).toMatchObject({ total: ACTIVE_SLOTS, requests: { Query: ACTIVE_SLOTS } });
  }, 90_000);

  it('adopts queues that hold messages from before the markers, once', async () => {
    const { engine, clock, client, tableName } = await testEngine();
    const queue = queueName('old');
    await engine.putQueue(queue, {});
    const delayed = await engine.publish(queue, { body: 'old', delaySeconds: 30 });
    // As if written before markers existed: no marker, no #ADOPTED.
    const { DeleteItemCommand } = await import('@aws-sdk/client-dynamodb');
    await client.send(new DeleteItemCommand({ TableName: tableName, Key: toAttributes(activeKey(queue)) }));
    await client.send(new DeleteItemCommand({ TableName: tableName, Key: toAttributes(adoptedKey) }));
    const fresh = new DynamoEngine({ client, tableName, clock });
    clock.advance(31_000);
    await fresh.runDueWork();
    expect((await fresh.getMessage(queue, delayed.id)).state).toBe('ready');
    const markers = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: toAttributes({ ':pk': activeKey(queue).pk }),
      }),
    );
    expect((markers.Items ?? []).map((item) => item.sk?.S)).toContain(queue);
    const adopted = await client.send(
      new GetItemCommand({ TableName: tableName, Key: toAttributes(adoptedKey), ConsistentRead: true }),
    );
    expect(adopted.Item).toBeDefined();
  });

  it('does not forget a queue whose stale marker the sweep removes while a message arrives', async () => {
    const { engine: sweeper, clock, client, tableName } = await testEngine();
    const queue = queueName('race');
    await sweeper.putQueue(queue, {});
    await sweeper.runDueWork();
    // Another process publishes and acks; its marker grows stale; the queue is empty.
    const publisherClock = manualClock(clock());
    const publisher = new DynamoEngine({ client, tableName, clock: publisherClock });
    const first = await publisher.publish(queue, { body: 'first' });
    const [received] = await publisher.receive(queue, { maxMessages: 1 });
    expect(received?.id).toBe(first.id);
    await publisher.ack(queue, received?.receipt as string);
    clock.advance(STALE_MS + 1_000);
    publisherClock.advance(STALE_MS + 1_000);

    // The sweep has found the queue empty and is about to remove the marker: right then, the
    // other process publishes a delayed message (its marker put comes first, then the message).
    let delayedId: string | undefined;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { Key?: { sk?: { S?: string }; pk?: { S?: string } } };
        if (
          context.commandName === 'DeleteItemCommand' &&
          input.Key?.pk?.S === activeKey(queue).pk &&
          delayedId === undefined
        ) {
          delayedId = (await publisher.publish(queue, { body: 'late', delaySeconds: 60 })).id;
        }
        return next(args);
      },
      { step: 'initialize', name: 'publishDuringSettle' },
    );
    await sweeper.runDueWork();
    expect(delayedId).toBeDefined();
    expect(await marked(client, tableName, queue)).toBe(true);

    clock.advance(61_000);
    await sweeper.runDueWork();
    expect((await sweeper.getMessage(queue, delayedId as string)).state).toBe('ready');
  });

  it('keeps the marker of a queue a process marked recently, even when the queue is empty', async () => {
    const { engine, clock, client, tableName } = await testEngine();
    const queue = queueName('recent');
    await engine.putQueue(queue, {});
    const published = await engine.publish(queue, { body: 1 });
    await engine.deleteMessage(queue, published.id);
    clock.advance(STALE_MS - 1_000);
    await engine.runDueWork();
    expect(await marked(client, tableName, queue)).toBe(true);
  });
});
