/**
 * An SQS FIFO queue `<name>.fifo` is the Postbox queue `<name>` (/v1 names have no '.'): the same
 * messages through both APIs, groups and deduplication included, and one base name for one type.
 */
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListDeadLetterSourceQueuesCommand,
  ListQueuesCommand,
  QueueDoesNotExist,
  QueueNameExists,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SqsHarness, sqsQueueName, startSqsHarness } from './support';

let h: SqsHarness;
beforeAll(async () => {
  h = await startSqsHarness();
});
afterAll(async () => h.close());

async function fifoQueue(base = sqsQueueName('fifov1'), extra: Record<string, string> = {}) {
  const { QueueUrl } = await h.sqs.send(
    new CreateQueueCommand({ QueueName: `${base}.fifo`, Attributes: { FifoQueue: 'true', ...extra } }),
  );
  return { base, QueueUrl: QueueUrl as string };
}

const receive = (QueueUrl: string) =>
  h.sqs
    .send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'] }),
    )
    .then((r) => r.Messages ?? []);

describe('an SQS FIFO queue through /v1', () => {
  it('is the /v1 queue of its base name: /v1 publishes by group, SQS receives in group order', async () => {
    const { base, QueueUrl } = await fifoQueue();
    expect(QueueUrl).toBe(`${h.url}/000000000000/${base}.fifo`);
    const viaV1 = await h.v1('GET', `/v1/queues/${base}`);
    expect(viaV1).toMatchObject({
      status: 200,
      json: { name: base, order: 'fifo', deduplicationWindowSeconds: 300 },
    });
    for (const [body, groupId] of [
      ['a1', 'A'],
      ['a2', 'A'],
      ['b1', 'B'],
    ]) {
      const published = await h.v1('POST', `/v1/queues/${base}/messages`, { body, groupId });
      expect(published.status).toBe(201);
    }
    const first = await receive(QueueUrl);
    expect(first.map((m) => [m.Body, m.Attributes?.MessageGroupId])).toEqual([
      ['a1', 'A'],
      ['b1', 'B'],
    ]);
    for (const message of first) {
      await h.sqs.send(
        new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message.ReceiptHandle as string }),
      );
    }
    expect((await receive(QueueUrl)).map((m) => m.Body)).toEqual(['a2']);
  });

  it('SQS sends by group with deduplication, /v1 receives them in order with their groups', async () => {
    const { base, QueueUrl } = await fifoQueue();
    for (const [body, group, id] of [
      ['x1', 'X', 'd1'],
      ['x1 again', 'X', 'd1'],
      ['x2', 'X', 'd2'],
      ['y1', 'Y', 'd3'],
    ] as const) {
      await h.sqs.send(
        new SendMessageCommand({
          QueueUrl,
          MessageBody: body,
          MessageGroupId: group,
          MessageDeduplicationId: id,
        }),
      );
    }
    const receiveV1 = async () => {
      const received = await h.v1('POST', `/v1/queues/${base}/receive`, { maxMessages: 10, ack: 'auto' });
      expect(received.status).toBe(200);
      return (received.json as { messages: { body: unknown; groupId: string }[] }).messages.map((m) => [
        m.body,
        m.groupId,
      ]);
    };
    // The duplicate was dropped; each group's head first, then the rest of group X.
    expect(await receiveV1()).toEqual([
      ['x1', 'X'],
      ['y1', 'Y'],
    ]);
    expect(await receiveV1()).toEqual([['x2', 'X']]);
    expect(await receiveV1()).toEqual([]);
  });

  it('is listed, found and described by its .fifo name only', async () => {
    const { base, QueueUrl } = await fifoQueue();
    const listed = await h.sqs.send(new ListQueuesCommand({ QueueNamePrefix: base }));
    expect(listed.QueueUrls).toEqual([QueueUrl]);
    expect((await h.sqs.send(new GetQueueUrlCommand({ QueueName: `${base}.fifo` }))).QueueUrl).toBe(QueueUrl);
    const plain = await h.sqs.send(new GetQueueUrlCommand({ QueueName: base })).catch((e) => e);
    expect(plain).toBeInstanceOf(QueueDoesNotExist);
    const { Attributes } = await h.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn', 'FifoQueue'] }),
    );
    expect(Attributes).toEqual({
      QueueArn: `arn:aws:sqs:us-east-1:000000000000:${base}.fifo`,
      FifoQueue: 'true',
    });
    const standardUrl = `${h.url}/000000000000/${base}`;
    const asStandard = await h.sqs
      .send(new SendMessageCommand({ QueueUrl: standardUrl, MessageBody: 'x' }))
      .catch((e) => e);
    expect(asStandard).toBeInstanceOf(QueueDoesNotExist);
  });

  it('names its dead-letter queue and dead-letter sources by their .fifo names', async () => {
    const dead = await fifoQueue();
    const deadArn = `arn:aws:sqs:us-east-1:000000000000:${dead.base}.fifo`;
    const source = await fifoQueue(sqsQueueName('fifov1'), {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadArn, maxReceiveCount: 1 }),
      VisibilityTimeout: '0',
    });
    expect((await h.v1('GET', `/v1/queues/${source.base}`)).json).toMatchObject({
      deadLetterQueue: dead.base,
      maxReceiveCount: 1,
    });
    const { Attributes } = await h.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: source.QueueUrl, AttributeNames: ['RedrivePolicy'] }),
    );
    expect(JSON.parse(Attributes?.RedrivePolicy as string)).toEqual({
      deadLetterTargetArn: deadArn,
      maxReceiveCount: 1,
    });
    const sources = await h.sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dead.QueueUrl }));
    expect(sources.queueUrls).toEqual([source.QueueUrl]);

    await h.sqs.send(
      new SendMessageCommand({
        QueueUrl: source.QueueUrl,
        MessageBody: 'poison',
        MessageGroupId: 'g',
        MessageDeduplicationId: 'p',
      }),
    );
    expect((await receive(source.QueueUrl)).map((m) => m.Body)).toEqual(['poison']);
    // Received once already (maxReceiveCount 1): the next receive moves it to the dead-letter queue.
    expect(await receive(source.QueueUrl)).toEqual([]);
    const [letter] = await receive(dead.QueueUrl);
    expect(letter?.Body).toBe('poison');
    expect(letter?.Attributes?.DeadLetterQueueSourceArn).toBe(
      `arn:aws:sqs:us-east-1:000000000000:${source.base}.fifo`,
    );
  });

  it('shares its base name with no standard queue: either creation refuses the other', async () => {
    const { base } = await fifoQueue();
    const standard = await h.sqs.send(new CreateQueueCommand({ QueueName: base })).catch((e) => e);
    expect(standard).toBeInstanceOf(QueueNameExists);
    expect(standard.message).toMatch(/same base name/);

    const other = sqsQueueName('fifov1');
    await h.sqs.send(new CreateQueueCommand({ QueueName: other }));
    const fifo = await h.sqs
      .send(new CreateQueueCommand({ QueueName: `${other}.fifo`, Attributes: { FifoQueue: 'true' } }))
      .catch((e) => e);
    expect(fifo).toBeInstanceOf(QueueNameExists);
    // A queue made through /v1 is a standard SQS queue (SQS keeps no flag for it).
    const v1Only = sqsQueueName('fifov1');
    expect((await h.v1('PUT', `/v1/queues/${v1Only}`, {})).status).toBe(201);
    const listed = await h.sqs.send(new ListQueuesCommand({ QueueNamePrefix: v1Only }));
    expect(listed.QueueUrls).toEqual([`${h.url}/000000000000/${v1Only}`]);
  });
});
