/** The SQS endpoint on sharded queues (issue 14): send, receive, delete and counts across shards. */
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SqsHarness, sqsQueueName, startSqsHarness } from './support';

let h: SqsHarness;
beforeAll(async () => {
  h = await startSqsHarness();
});
afterAll(async () => h.close());

/** Receives (and deletes) until `count` messages came: a sharded receive looks at a few shards a call. */
async function receiveAll(QueueUrl: string, count: number) {
  const bodies: string[] = [];
  const groups: string[] = [];
  for (let call = 0; bodies.length < count && call < 100; call++) {
    const { Messages = [] } = await h.sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'] }),
    );
    for (const message of Messages) {
      bodies.push(message.Body as string);
      groups.push(message.Attributes?.MessageGroupId ?? '');
      await h.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
  }
  return { bodies, groups };
}

describe('the SQS endpoint on a sharded queue', () => {
  it('a standard queue grown to 4 shards delivers and deletes every message once', async () => {
    const name = sqsQueueName();
    const { QueueUrl } = await h.sqs.send(new CreateQueueCommand({ QueueName: name }));
    await h.engine.putQueue(name, { shards: 4 });
    for (let i = 0; i < 20; i++)
      await h.sqs.send(new SendMessageCommand({ QueueUrl: QueueUrl as string, MessageBody: `m${i}` }));
    const { bodies } = await receiveAll(QueueUrl as string, 20);
    expect(bodies.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`).sort());
    const { Attributes } = await h.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    expect(Attributes?.ApproximateNumberOfMessages).toBe('0');
  });

  it('a FIFO queue of 8 shards keeps each group in order', async () => {
    const name = `${sqsQueueName()}.fifo`;
    const { QueueUrl } = await h.sqs.send(
      new CreateQueueCommand({
        QueueName: name,
        Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'true' },
      }),
    );
    await h.engine.putQueue(name, { shards: 8 });
    await h.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: Array.from({ length: 10 }, (_, i) => ({
          Id: `e${i}`,
          MessageBody: `${i % 2 ? 'b' : 'a'}${i}`,
          MessageGroupId: i % 2 ? 'b' : 'a',
        })),
      }),
    );
    const { bodies } = await receiveAll(QueueUrl as string, 10);
    expect(bodies.filter((body) => body.startsWith('a'))).toEqual(['a0', 'a2', 'a4', 'a6', 'a8']);
    expect(bodies.filter((body) => body.startsWith('b'))).toEqual(['b1', 'b3', 'b5', 'b7', 'b9']);
  });
});
