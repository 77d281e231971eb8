/** One batch of one consumer against DynamoDB Local: event shape, ack, release, dead letters. */
import { createHash } from 'node:crypto';
import type { SQSEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DynamoEngine } from '../../functions/core/dynamo-engine';
import { type Consumer, toConsumer } from '../../functions/dispatcher/consumer';
import {
  type BatchReport,
  claimBatch,
  type DispatchDeps,
  failedMessages,
  type Invoker,
  processBatch,
  retryDelaySeconds,
} from '../../functions/dispatcher/dispatch';
import { type ManualClock, queueName, testEngine } from '../support/engine';

let engine: DynamoEngine;
let clock: ManualClock;

beforeAll(async () => {
  ({ engine, clock } = await testEngine());
});

function deps(invoke: Invoker, reports: BatchReport[] = []): DispatchDeps {
  return {
    engine,
    invoke,
    clock,
    source: { region: 'eu-west-1', account: '123456789012' },
    onBatch: (report) => reports.push(report),
  };
}

async function consumerOn(fields: Parameters<DynamoEngine['putQueue']>[1] = {}, batchSize = 10) {
  const queue = queueName('c');
  await engine.putQueue(queue, fields);
  return toConsumer(queue, 'handler-fn', { batchSize, visibilityTimeoutSeconds: 60 });
}

async function runOnce(consumer: Consumer, invoke: Invoker): Promise<BatchReport> {
  const batch = await claimBatch(engine, consumer);
  expect(batch.length).toBeGreaterThan(0);
  return processBatch(deps(invoke), consumer, batch);
}

describe('failedMessages', () => {
  const ids = ['a', 'b'];
  it('reads no answer, an empty list or a null list as complete success', () => {
    for (const answer of [
      undefined,
      null,
      'ok',
      {},
      { batchItemFailures: [] },
      { batchItemFailures: null },
    ]) {
      expect(failedMessages(answer, ids)).toEqual(new Set());
    }
  });

  it('fails the listed messages only', () => {
    expect(failedMessages({ batchItemFailures: [{ itemIdentifier: 'b' }] }, ids)).toEqual(new Set(['b']));
  });

  it('fails the whole batch on an unknown, empty or missing identifier, or a list that is not one', () => {
    for (const failures of [
      [{ itemIdentifier: 'z' }],
      [{ itemIdentifier: '' }],
      [{ id: 'a' }],
      [null],
      'a',
    ]) {
      expect(failedMessages({ batchItemFailures: failures }, ids)).toBe('all');
    }
  });
});

describe('retryDelaySeconds', () => {
  it('doubles with every receive and stops at 15 minutes', () => {
    expect([1, 2, 3, 4, 10, 11, 50].map(retryDelaySeconds)).toEqual([2, 4, 8, 16, 900, 900, 900]);
  });
});

describe('processBatch', () => {
  it('invokes the handler with an SQS-shaped event', async () => {
    const consumer = await consumerOn();
    const { id: first } = await engine.publish(consumer.queue, {
      body: { n: 1 },
      attributes: { kind: 'order' },
    });
    const { id: second } = await engine.publish(consumer.queue, { body: 'plain text' });
    const events: SQSEvent[] = [];
    const report = await runOnce(consumer, async (_consumer, event) => {
      events.push(event);
    });

    expect(events).toHaveLength(1);
    const [record, plain] = events[0]?.Records ?? [];
    expect(record).toEqual({
      messageId: first,
      receiptHandle: expect.stringMatching(/^pb1\./),
      body: '{"n":1}',
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(clock()),
        SenderId: 'postbox',
        ApproximateFirstReceiveTimestamp: String(clock()),
      },
      messageAttributes: {
        kind: { stringValue: 'order', stringListValues: [], binaryListValues: [], dataType: 'String' },
      },
      md5OfBody: createHash('md5').update('{"n":1}').digest('hex'),
      eventSource: 'postbox',
      eventSourceARN: `arn:aws:postbox:eu-west-1:123456789012:${consumer.queue}`,
      awsRegion: 'eu-west-1',
    });
    expect(plain).toMatchObject({ messageId: second, body: 'plain text', messageAttributes: {} });
    expect(report).toMatchObject({ outcome: 'ok', acked: 2, released: 0, expired: 0, settleErrors: 0 });
    expect((await engine.getQueue(consumer.queue)).counts.total).toBe(0);
  });

  it('carries the group of a grouped message as MessageGroupId', async () => {
    const consumer = await consumerOn();
    await engine.publish(consumer.queue, { body: 1, groupId: 'g1' });
    let event: SQSEvent | undefined;
    await runOnce(consumer, async (_consumer, received) => {
      event = received;
    });
    expect(event?.Records[0]?.attributes.MessageGroupId).toBe('g1');
  });

  it('releases the whole batch with backoff when the handler throws', async () => {
    const consumer = await consumerOn();
    await engine.publishBatch(consumer.queue, [{ body: 1 }, { body: 2 }]);
    const report = await runOnce(consumer, async () => {
      throw new TypeError('boom');
    });
    expect(report).toMatchObject({ outcome: 'failed', acked: 0, released: 2, error: 'TypeError: boom' });

    const delayed = await engine.browse(consumer.queue, { state: 'delayed', limit: 10 });
    expect(delayed.items.map((message) => message.deliverAt)).toEqual([clock() + 2_000, clock() + 2_000]);
    clock.advance(2_000);
    const again = await claimBatch(engine, consumer);
    expect(again.map((message) => message.receiveCount)).toEqual([2, 2]);
  });

  it('acks the successes and releases only the messages listed in batchItemFailures', async () => {
    const consumer = await consumerOn();
    const results = await engine.publishBatch(consumer.queue, [{ body: 'a' }, { body: 'b' }, { body: 'c' }]);
    const ids = results.map((result) => (result.ok ? result.value.id : ''));
    const report = await runOnce(consumer, async () => ({ batchItemFailures: [{ itemIdentifier: ids[1] }] }));

    expect(report).toMatchObject({ outcome: 'partial', acked: 2, released: 1 });
    const left = await engine.browse(consumer.queue, { state: 'all', limit: 10 });
    expect(left.items.map((message) => [message.id, message.state])).toEqual([[ids[1], 'delayed']]);
  });

  it('dead-letters a message that keeps failing, after maxReceiveCount receives', async () => {
    const dlq = queueName('dlq');
    await engine.putQueue(dlq, {});
    const consumer = await consumerOn({ deadLetterQueue: dlq, maxReceiveCount: 2 });
    const { id } = await engine.publish(consumer.queue, { body: { n: 7 } });
    const fail: Invoker = async () => {
      throw new Error('always');
    };

    await runOnce(consumer, fail);
    clock.advance(retryDelaySeconds(1) * 1000);
    const report = await runOnce(consumer, fail);
    expect(report.maxReceiveCount).toBe(2);

    expect((await engine.getQueue(consumer.queue)).counts.total).toBe(0);
    const [dead] = await engine.receive(dlq, {});
    expect(dead).toMatchObject({ id, deadLetter: { sourceQueue: consumer.queue, receiveCount: 2 } });
  });

  it('counts receipts that no longer hold their message instead of failing', async () => {
    const consumer = await consumerOn();
    await engine.publish(consumer.queue, { body: 1 });
    const report = await runOnce(consumer, async (_consumer, event) => {
      // The lease ends while the handler runs and someone else receives the message.
      clock.advance(61_000);
      await engine.receive(consumer.queue, {});
      return { batchItemFailures: [], seen: event.Records.length };
    });
    expect(report).toMatchObject({ outcome: 'ok', acked: 0, expired: 1 });
  });

  it('never puts a body into the report', async () => {
    const consumer = await consumerOn();
    await engine.publish(consumer.queue, { body: 'secret-body-text' });
    const reports: BatchReport[] = [];
    const batch = await claimBatch(engine, consumer);
    await processBatch(
      deps(async () => {
        throw new Error('failed');
      }, reports),
      consumer,
      batch,
    );
    expect(JSON.stringify(reports)).not.toContain('secret-body-text');
  });
});
