import {
  CancelMessageMoveTaskCommand,
  CreateQueueCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SqsHarness, sqsQueueName, startSqsHarness } from './support';

let h: SqsHarness;
beforeAll(async () => {
  h = await startSqsHarness();
});
afterAll(async () => h.close());

const arn = (name: string) => `arn:aws:sqs:us-east-1:000000000000:${name}`;

async function queueWithDeadLetters() {
  const dlq = sqsQueueName('dlq');
  const dlqUrl = (await h.sqs.send(new CreateQueueCommand({ QueueName: dlq }))).QueueUrl as string;
  const name = sqsQueueName();
  const QueueUrl = (
    await h.sqs.send(
      new CreateQueueCommand({
        QueueName: name,
        Attributes: {
          VisibilityTimeout: '5',
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arn(dlq), maxReceiveCount: 1 }),
        },
      }),
    )
  ).QueueUrl as string;
  return { dlq, dlqUrl, name, QueueUrl };
}

describe('StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask', () => {
  it('moves dead letters back to their source queue and records the task', async () => {
    const { dlq, dlqUrl, QueueUrl } = await queueWithDeadLetters();
    await h.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'retry me' }));
    await h.sqs.send(new ReceiveMessageCommand({ QueueUrl }));
    h.clock.advance(5_000);
    expect((await h.sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages).toBeUndefined();

    const { TaskHandle } = await h.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: arn(dlq) }));
    const { Results } = await h.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arn(dlq) }));
    expect(Results).toEqual([
      expect.objectContaining({
        TaskHandle,
        Status: 'COMPLETED',
        SourceArn: arn(dlq),
        ApproximateNumberOfMessagesMoved: 1,
      }),
    ]);
    const back = await h.sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ['All'] }),
    );
    expect(back.Messages?.[0]?.Body).toBe('retry me');
    expect(back.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('1');
    expect((await h.sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl }))).Messages).toBeUndefined();

    const cancel = await h.sqs
      .send(new CancelMessageMoveTaskCommand({ TaskHandle: TaskHandle as string }))
      .catch((e) => e);
    expect(cancel.name).toBe('ResourceNotFoundException');
  });

  it('refuses a source that is no dead-letter queue', async () => {
    const name = sqsQueueName();
    await h.sqs.send(new CreateQueueCommand({ QueueName: name }));
    const error = await h.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: arn(name) })).catch((e) => e);
    expect(error.name).toBe('InvalidParameterValue');
  });
});
