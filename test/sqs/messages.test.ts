import { createHash } from 'node:crypto';
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  ReceiptHandleIsInvalid,
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

async function queue(Attributes?: Record<string, string>) {
  const name = sqsQueueName();
  const { QueueUrl } = await h.sqs.send(
    new CreateQueueCommand({ QueueName: name, ...(Attributes ? { Attributes } : {}) }),
  );
  return { name, QueueUrl: QueueUrl as string };
}

const receive = (
  QueueUrl: string,
  extra: Partial<ConstructorParameters<typeof ReceiveMessageCommand>[0]> = {},
) =>
  h.sqs
    .send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, ...extra }))
    .then((r) => r.Messages ?? []);

describe('SendMessage, ReceiveMessage', () => {
  it('round-trips body and typed message attributes, with the MD5s the SDK checks', async () => {
    const { QueueUrl } = await queue();
    const binary = new Uint8Array([0, 1, 2, 250]);
    const sent = await h.sqs.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: 'héllo ✉',
        MessageAttributes: {
          colour: { DataType: 'String', StringValue: 'blue' },
          count: { DataType: 'Number', StringValue: '42' },
          blob: { DataType: 'Binary', BinaryValue: binary },
          'app.trace': { DataType: 'String.custom', StringValue: 't-1' },
        },
      }),
    );
    expect(sent.MD5OfMessageBody).toBe(createHash('md5').update('héllo ✉', 'utf8').digest('hex'));
    expect(sent.MD5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    const [message] = await receive(QueueUrl, {
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['All'],
    });
    expect(message?.MessageId).toBe(sent.MessageId);
    expect(message?.Body).toBe('héllo ✉');
    expect(message?.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
    expect(message?.MessageAttributes).toEqual({
      colour: { DataType: 'String', StringValue: 'blue' },
      count: { DataType: 'Number', StringValue: '42' },
      blob: { DataType: 'Binary', BinaryValue: binary },
      'app.trace': { DataType: 'String.custom', StringValue: 't-1' },
    });
    expect(message?.Attributes).toMatchObject({
      ApproximateReceiveCount: '1',
      SentTimestamp: String(h.clock()),
      ApproximateFirstReceiveTimestamp: String(h.clock()),
      SenderId: '000000000000',
    });
  });

  it('answers only the attributes asked for: exact names and prefixes', async () => {
    const { QueueUrl } = await queue();
    await h.sqs.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: 'b',
        MessageAttributes: {
          'order.id': { DataType: 'String', StringValue: '1' },
          'order.kind': { DataType: 'String', StringValue: 'k' },
          other: { DataType: 'String', StringValue: 'o' },
        },
      }),
    );
    const [message] = await receive(QueueUrl, { MessageAttributeNames: ['order.*'], VisibilityTimeout: 0 });
    expect(Object.keys(message?.MessageAttributes ?? {}).sort()).toEqual(['order.id', 'order.kind']);
    expect(message?.Attributes).toBeUndefined();
    const [again] = await receive(QueueUrl, {
      MessageAttributeNames: ['other'],
      // The older field, typed for queue attributes in the SDK but still sent and honoured.
      AttributeNames: ['ApproximateReceiveCount' as never],
    });
    expect(Object.keys(again?.MessageAttributes ?? {})).toEqual(['other']);
    expect(again?.Attributes).toEqual({ ApproximateReceiveCount: '2' });
    const [none] = await receive(QueueUrl, {});
    expect(none).toBeUndefined();
  });

  it('refuses bad attributes and bodies and stores nothing', async () => {
    const { name, QueueUrl } = await queue();
    const reserved = await h.sqs
      .send(
        new SendMessageCommand({
          QueueUrl,
          MessageBody: 'b',
          MessageAttributes: { 'AWS.x': { DataType: 'String', StringValue: 'v' } },
        }),
      )
      .catch((e) => e);
    expect(reserved.name).toBe('InvalidParameterValue');
    const notNumber = await h.sqs
      .send(
        new SendMessageCommand({
          QueueUrl,
          MessageBody: 'b',
          MessageAttributes: { n: { DataType: 'Number', StringValue: 'x' } },
        }),
      )
      .catch((e) => e);
    expect(notNumber.name).toBe('InvalidParameterValue');
    const control = await h.sqs
      .send(new SendMessageCommand({ QueueUrl, MessageBody: 'a\u0001b' }))
      .catch((e) => e);
    expect(control.name).toBe('InvalidMessageContents');
    const big = await h.sqs
      .send(new SendMessageCommand({ QueueUrl, MessageBody: 'x'.repeat(262_145) }))
      .catch((e) => e);
    expect(big.name).toBe('InvalidParameterValue');
    const dedup = await h.sqs
      .send(new SendMessageCommand({ QueueUrl, MessageBody: 'b', MessageDeduplicationId: 'd' }))
      .catch((e) => e);
    expect(dedup.name).toBe('InvalidParameterValue');
    expect((await h.v1('GET', `/v1/queues/${name}`)).json).toMatchObject({ counts: { total: 0 } });
  });

  it('honours DelaySeconds and the visibility timeout, on the test clock', async () => {
    const { QueueUrl } = await queue({ VisibilityTimeout: '10' });
    await h.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'later', DelaySeconds: 5 }));
    expect(await receive(QueueUrl)).toHaveLength(0);
    h.clock.advance(5_000);
    const [first] = await receive(QueueUrl);
    expect(first?.Body).toBe('later');
    expect(await receive(QueueUrl)).toHaveLength(0);
    h.clock.advance(10_000);
    const [second] = await receive(QueueUrl, { MessageSystemAttributeNames: ['ApproximateReceiveCount'] });
    expect(second?.MessageId).toBe(first?.MessageId);
    expect(second?.Attributes?.ApproximateReceiveCount).toBe('2');
  });
});

describe('ReceiveMessage long polling', () => {
  it('holds a receive with WaitTimeSeconds until a message is sent, then answers it', async () => {
    const { QueueUrl } = await queue();
    const started = performance.now();
    const waiting = receive(QueueUrl, { WaitTimeSeconds: 10 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await h.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'awaited' }));
    expect((await waiting).map((m) => m.Body)).toEqual(['awaited']);
    expect(performance.now() - started).toBeLessThan(9_000);
  });

  it("waits the queue's ReceiveMessageWaitTimeSeconds when the receive names none", async () => {
    const { QueueUrl } = await queue({ ReceiveMessageWaitTimeSeconds: '1' });
    const started = performance.now();
    expect(await receive(QueueUrl)).toHaveLength(0);
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
  });
});

describe('the same messages through /v1 and SQS', () => {
  it('receives through SQS what /v1 published, and through /v1 what SQS sent', async () => {
    const { name, QueueUrl } = await queue();
    const published = await h.v1('POST', `/v1/queues/${name}/messages`, {
      body: { order: 7 },
      attributes: { kind: 'a' },
    });
    expect(published.status).toBe(201);
    const [fromV1] = await receive(QueueUrl, { MessageAttributeNames: ['All'] });
    expect(fromV1?.MessageId).toBe((published.json as { id: string }).id);
    expect(fromV1?.Body).toBe('{"order":7}');
    expect(fromV1?.MessageAttributes).toEqual({ kind: { DataType: 'String', StringValue: 'a' } });
    await h.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: fromV1?.ReceiptHandle as string }));

    const sent = await h.sqs.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: 'plain text',
        MessageAttributes: {
          n: { DataType: 'Number', StringValue: '3' },
          s: { DataType: 'String', StringValue: 'x' },
        },
      }),
    );
    const received = await h.v1('POST', `/v1/queues/${name}/receive`, {});
    const [message] = (
      received.json as {
        messages: { id: string; body: unknown; attributes: Record<string, string>; receipt: string }[];
      }
    ).messages;
    expect(message?.id).toBe(sent.MessageId);
    expect(message?.body).toBe('plain text');
    // Values as strings, the SQS types beside them under the reserved AWS.SQS name.
    expect(message?.attributes).toEqual({ n: '3', s: 'x', 'AWS.SQS': '{"t":{"n":"Number"}}' });
    const acked = await fetch(`${h.url}/v1/queues/${name}/ack`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ receipt: message?.receipt }),
    });
    expect(acked.status).toBe(204);
  });
});

describe('DeleteMessage, ChangeMessageVisibility', () => {
  it('deletes with the current handle; an old handle succeeds without deleting, as SQS documents', async () => {
    const { name, QueueUrl } = await queue();
    await h.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'b' }));
    const [first] = await receive(QueueUrl, { VisibilityTimeout: 0 });
    const [second] = await receive(QueueUrl);
    expect(second?.ReceiptHandle).not.toBe(first?.ReceiptHandle);
    await h.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: first?.ReceiptHandle as string }));
    expect((await h.v1('GET', `/v1/queues/${name}`)).json).toMatchObject({ counts: { inFlight: 1 } });
    await h.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: second?.ReceiptHandle as string }));
    expect((await h.v1('GET', `/v1/queues/${name}`)).json).toMatchObject({ counts: { total: 0 } });
  });

  it('refuses a handle that is not one with ReceiptHandleIsInvalid', async () => {
    const { QueueUrl } = await queue();
    const error = await h.sqs
      .send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: 'not-a-handle' }))
      .catch((e) => e);
    expect(error).toBeInstanceOf(ReceiptHandleIsInvalid);
    expect(error.$metadata.httpStatusCode).toBe(404);
  });

  it('changes the visibility: 0 makes the message receivable at once; a superseded handle is refused', async () => {
    const { QueueUrl } = await queue();
    await h.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'b' }));
    const [first] = await receive(QueueUrl);
    await h.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl,
        ReceiptHandle: first?.ReceiptHandle as string,
        VisibilityTimeout: 0,
      }),
    );
    const [second] = await receive(QueueUrl, { VisibilityTimeout: 100 });
    expect(second?.MessageId).toBe(first?.MessageId);
    await h.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl,
        ReceiptHandle: second?.ReceiptHandle as string,
        VisibilityTimeout: 5,
      }),
    );
    h.clock.advance(5_000);
    expect(await receive(QueueUrl)).toHaveLength(1);
    const error = await h.sqs
      .send(
        new ChangeMessageVisibilityCommand({
          QueueUrl,
          ReceiptHandle: first?.ReceiptHandle as string,
          VisibilityTimeout: 5,
        }),
      )
      .catch((e) => e);
    expect(error).toBeInstanceOf(ReceiptHandleIsInvalid);
  });
});

describe('batches', () => {
  it('sends entry by entry: Successful in order, Failed for the faulty ones only', async () => {
    const { QueueUrl } = await queue();
    const answer = await h.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: [
          { Id: 'a', MessageBody: 'one' },
          {
            Id: 'b',
            MessageBody: 'two',
            MessageAttributes: { n: { DataType: 'Number', StringValue: 'NaN?' } },
          },
          { Id: 'c', MessageBody: 'three' },
        ],
      }),
    );
    expect(answer.Successful?.map((entry) => entry.Id)).toEqual(['a', 'c']);
    expect(answer.Failed).toEqual([
      expect.objectContaining({ Id: 'b', SenderFault: true, Code: 'InvalidParameterValue' }),
    ]);
    expect((await receive(QueueUrl)).map((m) => m.Body)).toEqual(['one', 'three']);
  });

  it('refuses empty batches, more than 10 entries, repeated and invalid ids as a whole', async () => {
    const { QueueUrl } = await queue();
    const empty = await h.sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: [] })).catch((e) => e);
    expect(empty.name).toBe('EmptyBatchRequest');
    const many = Array.from({ length: 11 }, (_, i) => ({ Id: `m${i}`, MessageBody: 'x' }));
    const tooMany = await h.sqs
      .send(new SendMessageBatchCommand({ QueueUrl, Entries: many }))
      .catch((e) => e);
    expect(tooMany.name).toBe('TooManyEntriesInBatchRequest');
    const twice = [
      { Id: 'a', MessageBody: 'x' },
      { Id: 'a', MessageBody: 'y' },
    ];
    const repeated = await h.sqs
      .send(new SendMessageBatchCommand({ QueueUrl, Entries: twice }))
      .catch((e) => e);
    expect(repeated.name).toBe('BatchEntryIdsNotDistinct');
    const invalid = await h.sqs
      .send(new SendMessageBatchCommand({ QueueUrl, Entries: [{ Id: 'a b', MessageBody: 'x' }] }))
      .catch((e) => e);
    expect(invalid.name).toBe('InvalidBatchEntryId');
    expect(await receive(QueueUrl)).toHaveLength(0);
  });

  it('deletes and changes visibility entry by entry', async () => {
    const { name, QueueUrl } = await queue();
    await h.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: [
          { Id: 'a', MessageBody: '1' },
          { Id: 'b', MessageBody: '2' },
        ],
      }),
    );
    const [one, two] = await receive(QueueUrl);
    const changed = await h.sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl,
        Entries: [
          { Id: 'x', ReceiptHandle: two?.ReceiptHandle as string, VisibilityTimeout: 0 },
          { Id: 'y', ReceiptHandle: 'bogus', VisibilityTimeout: 0 },
        ],
      }),
    );
    expect(changed.Successful).toEqual([{ Id: 'x' }]);
    expect(changed.Failed).toEqual([
      expect.objectContaining({ Id: 'y', Code: 'ReceiptHandleIsInvalid', SenderFault: true }),
    ]);
    const deleted = await h.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl,
        Entries: [
          { Id: 'p', ReceiptHandle: one?.ReceiptHandle as string },
          { Id: 'q', ReceiptHandle: 'bogus' },
        ],
      }),
    );
    expect(deleted.Successful).toEqual([{ Id: 'p' }]);
    expect(deleted.Failed?.map((entry) => entry.Id)).toEqual(['q']);
    expect((await h.v1('GET', `/v1/queues/${name}`)).json).toMatchObject({ counts: { ready: 1, total: 1 } });
  });
});

describe('dead letters', () => {
  it('moves a message to the RedrivePolicy target after maxReceiveCount and names its source', async () => {
    const dlq = await queue();
    const dlqArn = `arn:aws:sqs:us-east-1:000000000000:${dlq.name}`;
    const { name, QueueUrl } = await queue({
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: '1' }),
      VisibilityTimeout: '5',
    });
    await h.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'poison' }));
    expect(await receive(QueueUrl)).toHaveLength(1);
    h.clock.advance(5_000);
    expect(await receive(QueueUrl)).toHaveLength(0);
    const [dead] = await receive(dlq.QueueUrl, {
      MessageSystemAttributeNames: ['DeadLetterQueueSourceArn', 'ApproximateReceiveCount'],
    });
    expect(dead?.Body).toBe('poison');
    expect(dead?.Attributes).toEqual({
      DeadLetterQueueSourceArn: `arn:aws:sqs:us-east-1:000000000000:${name}`,
      ApproximateReceiveCount: '1',
    });
  });
});
