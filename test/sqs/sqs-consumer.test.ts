/**
 * An unmodified sqs-consumer on a queue with a dead-letter queue: messages it handles are
 * deleted, a message whose handler keeps failing is made visible again at once
 * (terminateVisibilityTimeout) until maxReceiveCount sends it to the dead-letter queue.
 */
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { Consumer } from 'sqs-consumer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SqsHarness, sqsQueueName, startSqsHarness } from './support';

let h: SqsHarness;
beforeAll(async () => {
  h = await startSqsHarness();
});
afterAll(async () => h.close());

const settled = async (check: () => Promise<boolean>, timeoutMs = 20_000) => {
  for (const started = Date.now(); Date.now() - started < timeoutMs; ) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('not settled in time');
};

describe('sqs-consumer', () => {
  it('consumes a queue, retries a failing message and dead-letters it after maxReceiveCount', async () => {
    const dlq = sqsQueueName('dlq');
    const dlqUrl = (await h.sqs.send(new CreateQueueCommand({ QueueName: dlq }))).QueueUrl as string;
    const name = sqsQueueName();
    const queueUrl = (
      await h.sqs.send(
        new CreateQueueCommand({
          QueueName: name,
          Attributes: {
            RedrivePolicy: JSON.stringify({
              deadLetterTargetArn: `arn:aws:sqs:us-east-1:000000000000:${dlq}`,
              maxReceiveCount: 2,
            }),
          },
        }),
      )
    ).QueueUrl as string;
    await h.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: ['ok-1', 'fail', 'ok-2'].map((body, i) => ({ Id: `m${i}`, MessageBody: body })),
      }),
    );

    const handled: string[] = [];
    const attempts: string[] = [];
    const consumer = Consumer.create({
      queueUrl,
      sqs: h.sqs,
      // No long poll: the server's clock is the test's, which does not move by itself.
      waitTimeSeconds: 0,
      pollingWaitTimeMs: 50,
      terminateVisibilityTimeout: true,
      handleMessage: async (message) => {
        attempts.push(message.Body as string);
        if (message.Body === 'fail') throw new Error('handler failed');
        handled.push(message.Body as string);
        return message;
      },
    });
    consumer.on('processing_error', () => {});
    consumer.start();
    try {
      await settled(
        async () => handled.length === 2 && attempts.filter((body) => body === 'fail').length === 2,
      );
      await settled(async () => (await h.engine.getQueue(name)).counts.total === 0);
    } finally {
      consumer.stop({ abort: true });
    }
    expect(handled.sort()).toEqual(['ok-1', 'ok-2']);
    // Received twice (maxReceiveCount), then never again from the source queue.
    expect(attempts.filter((body) => body === 'fail')).toHaveLength(2);
    const dead = await h.sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10 }));
    expect(dead.Messages?.map((message) => message.Body)).toEqual(['fail']);
  });
});
