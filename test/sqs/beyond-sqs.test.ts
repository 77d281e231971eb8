/** What Postbox's SQS endpoint does beyond SQS (docs/sqs.md), through an unmodified SDK v3. */
import {
  CreateQueueCommand,
  type MessageAttributeValue,
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

const number = (value: number): MessageAttributeValue => ({ DataType: 'Number', StringValue: String(value) });

const create = async (QueueName: string, Attributes?: Record<string, string>) =>
  (await h.sqs.send(new CreateQueueCommand({ QueueName, ...(Attributes ? { Attributes } : {}) })))
    .QueueUrl as string;

const receive = (QueueUrl: string) =>
  h.sqs
    .send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] }))
    .then((r) => r.Messages ?? []);

describe('beyond SQS', () => {
  it('delays a message up to a year through the Postbox.DelaySeconds attribute, which it does not keep', async () => {
    const QueueUrl = await create(sqsQueueName('beyond'));
    const sent = await h.sqs.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: 'next month',
        MessageAttributes: {
          'Postbox.DelaySeconds': number(2_592_000),
          kind: { DataType: 'String', StringValue: 'x' },
        },
      }),
    );
    // The SDK checked MD5OfMessageAttributes against everything it sent; a mismatch would throw.
    expect(sent.MD5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    h.clock.advance(2_591_000_000);
    expect(await receive(QueueUrl)).toEqual([]);
    h.clock.advance(1_000_000);
    const [message] = await receive(QueueUrl);
    expect(message?.Body).toBe('next month');
    expect(Object.keys(message?.MessageAttributes ?? {})).toEqual(['kind']);
  });

  it('refuses a Postbox.DelaySeconds above a year, not a number, or given with DelaySeconds', async () => {
    const QueueUrl = await create(sqsQueueName('beyond'));
    for (const attributes of [
      { 'Postbox.DelaySeconds': number(31_536_001) },
      { 'Postbox.DelaySeconds': { DataType: 'String', StringValue: '60' } },
    ]) {
      const error = await h.sqs
        .send(new SendMessageCommand({ QueueUrl, MessageBody: 'x', MessageAttributes: attributes }))
        .catch((e) => e);
      expect(error.name).toBe('InvalidParameterValue');
    }
    const both = await h.sqs
      .send(
        new SendMessageCommand({
          QueueUrl,
          MessageBody: 'x',
          DelaySeconds: 5,
          MessageAttributes: { 'Postbox.DelaySeconds': number(5) },
        }),
      )
      .catch((e) => e);
    expect(both.name).toBe('InvalidParameterValue');
    expect((await h.v1('GET', `/v1/queues/${QueueUrl.split('/').pop()}`)).json).toMatchObject({
      counts: { total: 0 },
    });
  });

  it('delays one message of a FIFO queue (DelaySeconds or Postbox.DelaySeconds), holding its group', async () => {
    const QueueUrl = await create(`${sqsQueueName('beyond')}.fifo`, {
      FifoQueue: 'true',
      ContentBasedDeduplication: 'true',
      // What is received stays received while the clock moves on.
      VisibilityTimeout: '43200',
    });
    await h.sqs.send(
      new SendMessageCommand({ QueueUrl, MessageBody: 'later', MessageGroupId: 'A', DelaySeconds: 60 }),
    );
    await h.sqs.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: 'much later',
        MessageGroupId: 'B',
        MessageAttributes: { 'Postbox.DelaySeconds': number(3_600) },
      }),
    );
    await h.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'now', MessageGroupId: 'C' }));
    expect((await receive(QueueUrl)).map((m) => m.Body)).toEqual(['now']);
    h.clock.advance(61_000);
    expect((await receive(QueueUrl)).map((m) => m.Body)).toEqual(['later']);
    h.clock.advance(3_600_000);
    expect((await receive(QueueUrl)).map((m) => m.Body)).toEqual(['much later']);
  });

  it('delivers higher Postbox.Priority first, and keeps the attribute out of the message', async () => {
    const name = sqsQueueName('beyond');
    const QueueUrl = await create(name);
    const answer = await h.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: [
          { Id: 'low', MessageBody: 'low', MessageAttributes: { 'Postbox.Priority': number(1) } },
          { Id: 'plain', MessageBody: 'plain' },
          { Id: 'high', MessageBody: 'high', MessageAttributes: { 'Postbox.Priority': number(9) } },
          { Id: 'bad', MessageBody: 'bad', MessageAttributes: { 'Postbox.Priority': number(10) } },
        ],
      }),
    );
    expect(answer.Successful?.map((e) => e.Id)).toEqual(['low', 'plain', 'high']);
    expect(answer.Failed).toEqual([
      expect.objectContaining({ Id: 'bad', Code: 'InvalidParameterValue', SenderFault: true }),
    ]);
    const messages = await receive(QueueUrl);
    expect(messages.map((m) => m.Body)).toEqual(['high', 'low', 'plain']);
    expect(messages.every((m) => m.MessageAttributes === undefined)).toBe(true);
    const browsed = await h.v1('GET', `/v1/queues/${name}/messages?state=all`);
    const views = (browsed.json as { messages: { body: string; priority: number; attributes: object }[] })
      .messages;
    expect(views.map((m) => [m.body, m.priority])).toEqual([
      ['high', 9],
      ['low', 1],
      ['plain', 0],
    ]);
    expect(views.every((m) => !Object.keys(m.attributes).some((key) => key.startsWith('Postbox.')))).toBe(
      true,
    );
  });
});
