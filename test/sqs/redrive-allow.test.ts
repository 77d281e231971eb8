/** RedriveAllowPolicy on a dead-letter queue, and the FIFO settings SQS keeps, through the SDK v3. */
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SqsHarness, sqsQueueName, startSqsHarness } from './support';

let h: SqsHarness;
beforeAll(async () => {
  h = await startSqsHarness();
});
afterAll(async () => h.close());

const arn = (name: string) => `arn:aws:sqs:us-east-1:000000000000:${name}`;
const redrive = (target: string) => JSON.stringify({ deadLetterTargetArn: arn(target), maxReceiveCount: 3 });

async function create(QueueName: string, Attributes?: Record<string, string>) {
  return (await h.sqs.send(new CreateQueueCommand({ QueueName, ...(Attributes ? { Attributes } : {}) })))
    .QueueUrl as string;
}

const setRedrive = (QueueUrl: string, target: string) =>
  h.sqs
    .send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { RedrivePolicy: redrive(target) } }))
    .then(
      () => 'ok',
      (error) => `${error.name}: ${error.message}`,
    );

describe('RedriveAllowPolicy', () => {
  it('allowAll (the default) lets any source in; denyAll none; byQueue the listed sources', async () => {
    const dead = sqsQueueName('dlq');
    const deadUrl = await create(dead);
    const allowed = sqsQueueName('src');
    const other = sqsQueueName('src');
    const allowedUrl = await create(allowed);
    const otherUrl = await create(other);
    expect(await setRedrive(otherUrl, dead)).toBe('ok');

    await h.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: deadUrl,
        Attributes: { RedriveAllowPolicy: JSON.stringify({ redrivePermission: 'denyAll' }) },
      }),
    );
    expect(await setRedrive(allowedUrl, dead)).toMatch(/^InvalidParameterValue: .*does not allow/);
    const refusedCreate = await h.sqs
      .send(
        new CreateQueueCommand({
          QueueName: sqsQueueName('src'),
          Attributes: { RedrivePolicy: redrive(dead) },
        }),
      )
      .catch((e) => e);
    expect(refusedCreate.name).toBe('InvalidParameterValue');

    const byQueue = JSON.stringify({ redrivePermission: 'byQueue', sourceQueueArns: [arn(allowed)] });
    await h.sqs.send(
      new SetQueueAttributesCommand({ QueueUrl: deadUrl, Attributes: { RedriveAllowPolicy: byQueue } }),
    );
    expect(await setRedrive(allowedUrl, dead)).toBe('ok');
    expect(await setRedrive(await create(sqsQueueName('src')), dead)).toMatch(/^InvalidParameterValue/);
    // Nothing was changed by a refusal: /v1 sees the dead-letter queue only where it was allowed.
    expect((await h.v1('GET', `/v1/queues/${allowed}`)).json).toMatchObject({ deadLetterQueue: dead });
    const { Attributes } = await h.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: deadUrl, AttributeNames: ['RedriveAllowPolicy'] }),
    );
    expect(Attributes).toEqual({ RedriveAllowPolicy: byQueue });
  });

  it('refuses a malformed policy and a RedrivePolicy naming a missing queue', async () => {
    const url = await create(sqsQueueName('dlq'));
    for (const policy of [
      { redrivePermission: 'byQueue' },
      { redrivePermission: 'allowAll', sourceQueueArns: [arn('x')] },
      { redrivePermission: 'sometimes' },
      { redrivePermission: 'byQueue', sourceQueueArns: Array.from({ length: 11 }, (_, i) => arn(`q${i}`)) },
    ]) {
      const error = await h.sqs
        .send(
          new SetQueueAttributesCommand({
            QueueUrl: url,
            Attributes: { RedriveAllowPolicy: JSON.stringify(policy) },
          }),
        )
        .catch((e) => e);
      expect(error.name).toBe('InvalidAttributeValue');
    }
    expect(await setRedrive(url, sqsQueueName('missing'))).toMatch(/Dead letter target does not exist/);
  });
});

describe('FIFO settings', () => {
  it('keeps DeduplicationScope and FifoThroughputLimit (high throughput mode) and answers them', async () => {
    const url = await create(`${sqsQueueName('fifo')}.fifo`, {
      FifoQueue: 'true',
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
    });
    const { Attributes } = await h.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['DeduplicationScope', 'FifoThroughputLimit'],
      }),
    );
    expect(Attributes).toEqual({
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
    });
    const bad = await h.sqs
      .send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { FifoThroughputLimit: 'perGroup' } }))
      .catch((e) => e);
    expect(bad.name).toBe('InvalidAttributeValue');
  });
});
