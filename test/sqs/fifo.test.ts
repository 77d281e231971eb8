import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SqsHarness, sqsQueueName, startSqsHarness } from './support';

let h: SqsHarness;
beforeAll(async () => {
  h = await startSqsHarness();
});
afterAll(async () => h.close());

async function fifoQueue(extra: Record<string, string> = {}) {
  const base = sqsQueueName('fifo');
  const name = `${base}.fifo`;
  const { QueueUrl } = await h.sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: { FifoQueue: 'true', ...extra } }),
  );
  return { name, base, QueueUrl: QueueUrl as string };
}

const send = (
  QueueUrl: string,
  MessageBody: string,
  MessageGroupId: string,
  MessageDeduplicationId?: string,
) =>
  h.sqs.send(
    new SendMessageCommand({
      QueueUrl,
      MessageBody,
      MessageGroupId,
      ...(MessageDeduplicationId ? { MessageDeduplicationId } : {}),
    }),
  );

const receive = (QueueUrl: string, MaxNumberOfMessages = 10) =>
  h.sqs
    .send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages, MessageSystemAttributeNames: ['All'] }))
    .then((r) => r.Messages ?? []);

describe('FIFO queues', () => {
  it('need FifoQueue=true with a .fifo name, and answer the FIFO attributes', async () => {
    const refused = await h.sqs
      .send(new CreateQueueCommand({ QueueName: `${sqsQueueName()}.fifo` }))
      .catch((e) => e);
    expect(refused.name).toBe('InvalidParameterValue');
    const notFifoName = await h.sqs
      .send(new CreateQueueCommand({ QueueName: sqsQueueName(), Attributes: { FifoQueue: 'true' } }))
      .catch((e) => e);
    expect(notFifoName.name).toBe('InvalidAttributeValue');
    const { QueueUrl } = await fifoQueue({ ContentBasedDeduplication: 'true' });
    const { Attributes } = await h.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }),
    );
    expect(Attributes).toMatchObject({
      FifoQueue: 'true',
      ContentBasedDeduplication: 'true',
      DeduplicationScope: 'queue',
      FifoThroughputLimit: 'perQueue',
    });
  });

  it('deliver a group strictly in order, one message at a time, other groups meanwhile', async () => {
    const { QueueUrl } = await fifoQueue();
    const a1 = await send(QueueUrl, 'a1', 'A', 'a1');
    const a2 = await send(QueueUrl, 'a2', 'A', 'a2');
    await send(QueueUrl, 'b1', 'B', 'b1');
    expect(BigInt(a2.SequenceNumber as string)).toBeGreaterThan(BigInt(a1.SequenceNumber as string));
    const [first] = await receive(QueueUrl, 1);
    expect(first?.Body).toBe('a1');
    expect(first?.Attributes).toMatchObject({
      MessageGroupId: 'A',
      MessageDeduplicationId: 'a1',
      SequenceNumber: a1.SequenceNumber,
    });
    // a2 waits behind a1, in flight; B is free.
    expect((await receive(QueueUrl)).map((m) => m.Body)).toEqual(['b1']);
    await h.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: first?.ReceiptHandle as string }));
    expect((await receive(QueueUrl)).map((m) => m.Body)).toEqual(['a2']);
  });

  it('deduplicate within five minutes: the first MessageId answers, nothing is stored twice', async () => {
    const { base, QueueUrl } = await fifoQueue();
    const first = await send(QueueUrl, 'x', 'g', 'same');
    const again = await send(QueueUrl, 'x', 'g', 'same');
    expect(again.MessageId).toBe(first.MessageId);
    // /v1 knows the FIFO queue `<base>.fifo` as `<base>`.
    expect((await h.v1('GET', `/v1/queues/${base}`)).json).toMatchObject({ counts: { total: 1 } });
    h.clock.advance(301_000);
    const later = await send(QueueUrl, 'x', 'g', 'same');
    expect(later.MessageId).not.toBe(first.MessageId);
  });

  it('deduplicate on the SHA-256 of the body with ContentBasedDeduplication, else need an id', async () => {
    const plain = await fifoQueue();
    const missing = await send(plain.QueueUrl, 'x', 'g').catch((e) => e);
    expect(missing.name).toBe('InvalidParameterValue');
    const noGroup = await h.sqs
      .send(
        new SendMessageCommand({ QueueUrl: plain.QueueUrl, MessageBody: 'x', MessageDeduplicationId: 'd' }),
      )
      .catch((e) => e);
    expect(noGroup.name).toBe('MissingParameter');

    const { QueueUrl } = await fifoQueue({ ContentBasedDeduplication: 'true' });
    const one = await send(QueueUrl, 'same body', 'g');
    const two = await send(QueueUrl, 'same body', 'other-group');
    const three = await send(QueueUrl, 'another body', 'g');
    expect(two.MessageId).toBe(one.MessageId);
    expect(three.MessageId).not.toBe(one.MessageId);
    const [message] = await receive(QueueUrl, 1);
    expect(message?.Attributes?.MessageDeduplicationId).toMatch(/^[0-9a-f]{64}$/);
  });

  it('scope deduplication to the group with DeduplicationScope=messageGroup', async () => {
    const { QueueUrl } = await fifoQueue();
    await h.sqs.send(
      new SetQueueAttributesCommand({ QueueUrl, Attributes: { DeduplicationScope: 'messageGroup' } }),
    );
    const inA = await send(QueueUrl, 'x', 'A', 'id-1');
    const inB = await send(QueueUrl, 'x', 'B', 'id-1');
    const againA = await send(QueueUrl, 'x', 'A', 'id-1');
    expect(inB.MessageId).not.toBe(inA.MessageId);
    expect(againA.MessageId).toBe(inA.MessageId);
    const messages = await receive(QueueUrl);
    expect(messages.map((m) => m.Attributes?.MessageDeduplicationId)).toEqual(['id-1', 'id-1']);
  });

  it('refuse a superseded receipt handle on delete with ReceiptHandleIsInvalid', async () => {
    const { base, QueueUrl } = await fifoQueue();
    await send(QueueUrl, 'x', 'g', 'd');
    const [first] = await h.sqs
      .send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 0 }))
      .then((r) => r.Messages ?? []);
    const [second] = await receive(QueueUrl);
    expect(second?.MessageId).toBe(first?.MessageId);
    const error = await h.sqs
      .send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: first?.ReceiptHandle as string }))
      .catch((e) => e);
    expect(error).toBeInstanceOf(ReceiptHandleIsInvalid);
    expect((await h.v1('GET', `/v1/queues/${base}`)).json).toMatchObject({ counts: { inFlight: 1 } });
  });

  it('batch-send in order within a group', async () => {
    const { QueueUrl } = await fifoQueue({ ContentBasedDeduplication: 'true' });
    const answer = await h.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: ['1', '2', '3'].map((n) => ({ Id: `e${n}`, MessageBody: n, MessageGroupId: 'g' })),
      }),
    );
    expect(answer.Successful?.map((e) => e.Id)).toEqual(['e1', 'e2', 'e3']);
    const numbers = answer.Successful?.map((e) => BigInt(e.SequenceNumber as string)) ?? [];
    expect([...numbers].sort((a, b) => (a < b ? -1 : 1))).toEqual(numbers);
    // One in flight per group: the first receive gets only the head.
    expect((await receive(QueueUrl)).map((m) => m.Body)).toEqual(['1']);
  });
});
