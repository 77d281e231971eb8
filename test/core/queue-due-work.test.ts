/**
 * `runQueueDueWork`: one queue's timed work, and the answer the local runtime sleeps on (the
 * queue's earliest remaining timer). Against DynamoDB Local with a clock the test moves.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { messageKey, queueMetaKey } from '../../functions/core/keys';
import { queueName, testEngine } from '../support/engine';

describe('runQueueDueWork', () => {
  it('answers the earliest timer left: a delayed message, then a lease, then none', async () => {
    const { engine, clock } = await testEngine();
    const queue = queueName();
    await engine.putQueue(queue, { visibilityTimeoutSeconds: 30 });
    expect(await engine.runQueueDueWork(queue)).toEqual({ nextDueAt: null });

    const later = await engine.publish(queue, { body: 'later', delaySeconds: 60 });
    const soon = await engine.publish(queue, { body: 'soon', delaySeconds: 10 });
    expect(await engine.runQueueDueWork(queue)).toEqual({ nextDueAt: soon.deliverAt });

    clock.advance(10_000);
    expect(await engine.runQueueDueWork(queue)).toEqual({ nextDueAt: later.deliverAt });
    const [message] = await engine.receive(queue, { maxMessages: 1 });
    expect(message?.id).toBe(soon.id);
    expect(await engine.runQueueDueWork(queue)).toEqual({ nextDueAt: clock() + 30_000 });

    await engine.ack(queue, message?.receipt as string);
    clock.advance(50_000);
    expect(await engine.runQueueDueWork(queue)).toEqual({ nextDueAt: null });
    expect((await engine.getQueue(queue)).counts).toMatchObject({ ready: 1, delayed: 0, inFlight: 0 });
  });

  it('answers null for a queue that does not exist', async () => {
    const { engine } = await testEngine();
    expect(await engine.runQueueDueWork(queueName('missing'))).toEqual({ nextDueAt: null });
  });

  it('drops ready messages past retention only when asked to tidy', async () => {
    const { engine, clock, client, tableName } = await testEngine();
    const queue = queueName();
    await engine.putQueue(queue, { retentionSeconds: 60 });
    const { id } = await engine.publish(queue, { body: 'short-lived' });
    const stored = async () => {
      const meta = unmarshall(
        (await client.send(new GetItemCommand({ TableName: tableName, Key: marshall(queueMetaKey(queue)) })))
          .Item ?? {},
      );
      const key = marshall(messageKey(queue, String(meta.inc), id));
      return (await client.send(new GetItemCommand({ TableName: tableName, Key: key }))).Item !== undefined;
    };
    clock.advance(61_000);
    await engine.runQueueDueWork(queue);
    expect(await stored()).toBe(true);
    await engine.runQueueDueWork(queue, { tidy: true });
    expect(await stored()).toBe(false);
  });
});
