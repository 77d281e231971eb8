import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListDeadLetterSourceQueuesCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  PurgeQueueCommand,
  QueueDoesNotExist,
  QueueNameExists,
  SendMessageCommand,
  SetQueueAttributesCommand,
  TagQueueCommand,
  UntagQueueCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SqsHarness, sqsQueueName, startSqsHarness } from './support';

let h: SqsHarness;
beforeAll(async () => {
  h = await startSqsHarness();
});
afterAll(async () => h.close());

const create = async (name: string, Attributes?: Record<string, string>) =>
  (await h.sqs.send(new CreateQueueCommand({ QueueName: name, ...(Attributes ? { Attributes } : {}) })))
    .QueueUrl as string;

describe('CreateQueue, GetQueueUrl', () => {
  it('creates the Postbox queue of that name and answers its local URL', async () => {
    const name = sqsQueueName();
    const url = await create(name);
    expect(url).toBe(`${h.url}/000000000000/${name}`);
    expect((await h.sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl).toBe(url);
    const viaV1 = await h.v1('GET', `/v1/queues/${name}`);
    expect(viaV1.status).toBe(200);
    expect(viaV1.json).toMatchObject({ name, order: 'fifo', visibilityTimeoutSeconds: 30 });
  });

  it('is idempotent with the same attributes and refuses different ones with QueueNameExists', async () => {
    const name = sqsQueueName();
    const url = await create(name, { VisibilityTimeout: '45' });
    expect(await create(name, { VisibilityTimeout: '45' })).toBe(url);
    expect(await create(name)).toBe(url);
    const error = await h.sqs
      .send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '46' } }))
      .catch((e) => e);
    expect(error).toBeInstanceOf(QueueNameExists);
    expect(error.Code).toBe('QueueAlreadyExists');
  });

  it('refuses invalid names, unknown attributes and values out of range, and creates nothing', async () => {
    const bad = await h.sqs.send(new CreateQueueCommand({ QueueName: 'no spaces' })).catch((e) => e);
    expect(bad.name).toBe('InvalidParameterValue');
    const name = sqsQueueName();
    const unknown = await h.sqs
      .send(new CreateQueueCommand({ QueueName: name, Attributes: { Colour: 'blue' } as never }))
      .catch((e) => e);
    expect(unknown.name).toBe('InvalidAttributeName');
    const range = await h.sqs
      .send(new CreateQueueCommand({ QueueName: name, Attributes: { DelaySeconds: '901' } }))
      .catch((e) => e);
    expect(range.name).toBe('InvalidAttributeValue');
    expect((await h.v1('GET', `/v1/queues/${name}`)).status).toBe(404);
  });

  it('answers QueueDoesNotExist, with the query error code, for an unknown queue', async () => {
    const error = await h.sqs
      .send(new GetQueueUrlCommand({ QueueName: sqsQueueName('missing') }))
      .catch((e) => e);
    expect(error).toBeInstanceOf(QueueDoesNotExist);
    expect(error.Code).toBe('AWS.SimpleQueueService.NonExistentQueue');
    expect(error.$metadata.httpStatusCode).toBe(400);
  });
});

describe('ListQueues', () => {
  it('lists by prefix in name order, in pages of MaxResults with NextToken', async () => {
    const prefix = sqsQueueName('list');
    const names = [`${prefix}-a`, `${prefix}-b`, `${prefix}-c`];
    for (const name of [...names].reverse()) await create(name);
    await create(sqsQueueName('other'));
    const all = await h.sqs.send(new ListQueuesCommand({ QueueNamePrefix: prefix }));
    expect(all.QueueUrls).toEqual(names.map((name) => `${h.url}/000000000000/${name}`));
    expect(all.NextToken).toBeUndefined();
    const first = await h.sqs.send(new ListQueuesCommand({ QueueNamePrefix: prefix, MaxResults: 2 }));
    expect(first.QueueUrls).toHaveLength(2);
    const second = await h.sqs.send(
      new ListQueuesCommand({ QueueNamePrefix: prefix, MaxResults: 2, NextToken: first.NextToken as string }),
    );
    expect(second.QueueUrls).toEqual([`${h.url}/000000000000/${names[2]}`]);
    expect(second.NextToken).toBeUndefined();
  });
});

describe('GetQueueAttributes, SetQueueAttributes', () => {
  it('maps SQS attributes onto the Postbox queue configuration both ways', async () => {
    const name = sqsQueueName();
    const QueueUrl = await create(name, {
      VisibilityTimeout: '60',
      DelaySeconds: '5',
      MessageRetentionPeriod: '3600',
      ReceiveMessageWaitTimeSeconds: '2',
    });
    const { Attributes } = await h.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }),
    );
    expect(Attributes).toMatchObject({
      QueueArn: `arn:aws:sqs:us-east-1:000000000000:${name}`,
      VisibilityTimeout: '60',
      DelaySeconds: '5',
      MessageRetentionPeriod: '3600',
      ReceiveMessageWaitTimeSeconds: '2',
      MaximumMessageSize: '262144',
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
      ApproximateNumberOfMessagesDelayed: '0',
    });
    expect(Attributes?.FifoQueue).toBeUndefined();
    await h.sqs.send(
      new SetQueueAttributesCommand({ QueueUrl, Attributes: { VisibilityTimeout: '90', DelaySeconds: '0' } }),
    );
    expect((await h.v1('GET', `/v1/queues/${name}`)).json).toMatchObject({
      visibilityTimeoutSeconds: 90,
      delaySeconds: 0,
      retentionSeconds: 3600,
    });
    const some = await h.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['VisibilityTimeout'] }),
    );
    expect(some.Attributes).toEqual({ VisibilityTimeout: '90' });
  });

  it('counts ready, delayed and in-flight messages', async () => {
    const QueueUrl = await create(sqsQueueName());
    await h.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'now' }));
    await h.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'later', DelaySeconds: 60 }));
    const { Attributes } = await h.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesDelayed'],
      }),
    );
    expect(Attributes).toEqual({ ApproximateNumberOfMessages: '1', ApproximateNumberOfMessagesDelayed: '1' });
  });

  it('sets a RedrivePolicy as the Postbox dead-letter queue, and lists the dead-letter sources', async () => {
    const dlqName = sqsQueueName('dlq');
    const dlqUrl = await create(dlqName);
    const name = sqsQueueName();
    const QueueUrl = await create(name);
    const policy = {
      deadLetterTargetArn: `arn:aws:sqs:us-east-1:000000000000:${dlqName}`,
      maxReceiveCount: 3,
    };
    await h.sqs.send(
      new SetQueueAttributesCommand({ QueueUrl, Attributes: { RedrivePolicy: JSON.stringify(policy) } }),
    );
    expect((await h.v1('GET', `/v1/queues/${name}`)).json).toMatchObject({
      deadLetterQueue: dlqName,
      maxReceiveCount: 3,
    });
    const { Attributes } = await h.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['RedrivePolicy'] }),
    );
    expect(JSON.parse(Attributes?.RedrivePolicy ?? '')).toEqual(policy);
    const sources = await h.sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlqUrl }));
    expect(sources.queueUrls).toEqual([QueueUrl]);

    const missing = { ...policy, deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:nope' };
    const error = await h.sqs
      .send(
        new SetQueueAttributesCommand({ QueueUrl, Attributes: { RedrivePolicy: JSON.stringify(missing) } }),
      )
      .catch((e) => e);
    expect(error.name).toBe('InvalidParameterValue');
    await h.sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { RedrivePolicy: '' } }));
    expect((await h.v1('GET', `/v1/queues/${name}`)).json).toMatchObject({
      deadLetterQueue: null,
      maxReceiveCount: null,
    });
  });

  it('refuses an unknown attribute name in GetQueueAttributes', async () => {
    const QueueUrl = await create(sqsQueueName());
    const error = await h.sqs
      .send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['Colour' as never] }))
      .catch((e) => e);
    expect(error.name).toBe('InvalidAttributeName');
  });
});

describe('TagQueue, UntagQueue, ListQueueTags', () => {
  it('keeps tags given at creation and later', async () => {
    const name = sqsQueueName();
    const { QueueUrl } = await h.sqs.send(new CreateQueueCommand({ QueueName: name, tags: { team: 'a' } }));
    await h.sqs.send(new TagQueueCommand({ QueueUrl, Tags: { env: 'test', team: 'b' } }));
    expect((await h.sqs.send(new ListQueueTagsCommand({ QueueUrl }))).Tags).toEqual({
      team: 'b',
      env: 'test',
    });
    await h.sqs.send(new UntagQueueCommand({ QueueUrl, TagKeys: ['team'] }));
    expect((await h.sqs.send(new ListQueueTagsCommand({ QueueUrl }))).Tags).toEqual({ env: 'test' });
  });

  it('does not hand a re-created queue the tags of the deleted one', async () => {
    const name = sqsQueueName();
    const { QueueUrl } = await h.sqs.send(new CreateQueueCommand({ QueueName: name, tags: { old: 'yes' } }));
    expect((await h.v1('DELETE', `/v1/queues/${name}`)).status).toBe(204);
    h.clock.advance(1_000);
    await h.sqs.send(new CreateQueueCommand({ QueueName: name }));
    expect((await h.sqs.send(new ListQueueTagsCommand({ QueueUrl }))).Tags).toBeUndefined();
  });
});

describe('PurgeQueue, DeleteQueue', () => {
  it('purges every message, then deletes the queue for both APIs', async () => {
    const name = sqsQueueName();
    const QueueUrl = await create(name);
    await h.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' }));
    await h.sqs.send(new PurgeQueueCommand({ QueueUrl }));
    expect((await h.v1('GET', `/v1/queues/${name}`)).json).toMatchObject({ counts: { total: 0 } });
    await h.sqs.send(new DeleteQueueCommand({ QueueUrl }));
    expect((await h.v1('GET', `/v1/queues/${name}`)).status).toBe(404);
    const error = await h.sqs.send(new PurgeQueueCommand({ QueueUrl })).catch((e) => e);
    expect(error).toBeInstanceOf(QueueDoesNotExist);
  });
});
