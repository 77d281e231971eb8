/**
 * The Query protocol: an unmodified boto3 (Debian's python3-boto3, whose botocore speaks Query to
 * SQS) through the whole queue life, and hand-built form requests checked against the XML SQS
 * documents. The JSON 1.0 error shape is checked here too, on the raw wire.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SqsHarness, sqsQueueName, startSqsHarness } from './support';

const run = promisify(execFile);
// Debian's python: a pyenv shim earlier on PATH would not have the Debian package.
const PYTHON = '/usr/bin/python3';

let h: SqsHarness;
beforeAll(async () => {
  h = await startSqsHarness();
});
afterAll(async () => h.close());

const form = (params: Record<string, string>, path = '/') =>
  fetch(`${h.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ Version: '2012-11-05', ...params }),
  });

describe('boto3 (Query protocol)', () => {
  it('creates, sends, receives, deletes and fails as SQS does', async () => {
    const name = sqsQueueName('boto');
    const { stdout } = await run(PYTHON, [join(__dirname, 'boto3_client.py'), h.url, name], {
      env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true', PYTHONPATH: '' },
      timeout: 60_000,
    });
    const seen = JSON.parse(stdout);
    const url = `${h.url}/000000000000/${name}`;
    expect(seen.protocol).toBe('query');
    expect(seen.url).toBe(url);
    expect(seen.getUrl).toBe(url);
    expect(seen.listed).toEqual([url]);
    expect(seen.attributes).toMatchObject({
      VisibilityTimeout: '40',
      QueueArn: `arn:aws:sqs:us-east-1:000000000000:${name}`,
    });
    expect(seen.tags).toEqual({ team: 'py' });
    expect(seen.sent.MD5OfMessageBody).toBe(createHash('md5').update('from <python> & co').digest('hex'));
    expect(seen.batch.ok).toEqual(['a']);
    expect(seen.batch.failed).toEqual([
      expect.objectContaining({ Id: 'b', Code: 'InvalidParameterValue', SenderFault: true }),
    ]);
    expect(seen.received).toEqual([
      {
        MessageId: seen.sent.MessageId,
        Body: 'from <python> & co',
        MD5OfBody: seen.sent.MD5OfMessageBody,
        MD5OfMessageAttributes: seen.sent.MD5OfMessageAttributes,
        MessageAttributes: {
          kind: { DataType: 'String', StringValue: 'order' },
          n: { DataType: 'Number', StringValue: '7' },
          raw: { DataType: 'Binary', BinaryValue: 'AAH/' },
        },
        ReceiveCount: '1',
      },
      expect.objectContaining({ Body: 'one', MD5OfMessageAttributes: null, MessageAttributes: {} }),
    ]);
    expect(seen.deleted).toEqual({ ok: 2, failed: ['ReceiptHandleIsInvalid'] });
    expect(seen.missing).toEqual({ code: 'AWS.SimpleQueueService.NonExistentQueue', status: 400 });
    expect(seen.badHandle).toBe('ReceiptHandleIsInvalid');
    expect(seen.afterDelete).toEqual([]);
  });
});

describe('hand-built Query requests', () => {
  it('answer the documented XML, for POST / and for the queue-URL path', async () => {
    const name = sqsQueueName('form');
    const created = await form({
      Action: 'CreateQueue',
      QueueName: name,
      'Attribute.1.Name': 'DelaySeconds',
      'Attribute.1.Value': '0',
    });
    expect(created.status).toBe(200);
    expect(created.headers.get('content-type')).toContain('text/xml');
    const xml = await created.text();
    expect(xml).toMatch(
      new RegExp(
        `^<\\?xml version="1.0" encoding="UTF-8"\\?>\\n<CreateQueueResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><CreateQueueResult><QueueUrl>${h.url}/000000000000/${name}</QueueUrl></CreateQueueResult><ResponseMetadata><RequestId>[0-9a-f-]{36}</RequestId></ResponseMetadata></CreateQueueResponse>$`,
      ),
    );
    const sent = await form({ Action: 'SendMessage', MessageBody: 'via path' }, `/000000000000/${name}`);
    expect(await sent.text()).toContain(
      `<MD5OfMessageBody>${createHash('md5').update('via path').digest('hex')}</MD5OfMessageBody>`,
    );
    const listed = await fetch(`${h.url}/?Action=ListQueues&QueueNamePrefix=${name}`);
    expect(await listed.text()).toContain(
      `<ListQueuesResult><QueueUrl>${h.url}/000000000000/${name}</QueueUrl></ListQueuesResult>`,
    );
    const received = await form({
      Action: 'ReceiveMessage',
      QueueUrl: `${h.url}/000000000000/${name}`,
      'AttributeName.1': 'SentTimestamp',
    });
    expect(await received.text()).toMatch(
      /<ReceiveMessageResult><Message><MessageId>[^<]+<\/MessageId><ReceiptHandle>[^<]+<\/ReceiptHandle><MD5OfBody>[0-9a-f]{32}<\/MD5OfBody><Body>via path<\/Body><Attribute><Name>SentTimestamp<\/Name><Value>\d+<\/Value><\/Attribute><\/Message><\/ReceiveMessageResult>/,
    );
  });

  it('answer errors as ErrorResponse with the query code, and unknown actions as InvalidAction', async () => {
    const missing = await form({ Action: 'GetQueueUrl', QueueName: 'nope-nope' });
    expect(missing.status).toBe(400);
    expect(await missing.text()).toMatch(
      /<ErrorResponse xmlns="http:\/\/queue.amazonaws.com\/doc\/2012-11-05\/"><Error><Type>Sender<\/Type><Code>AWS.SimpleQueueService.NonExistentQueue<\/Code><Message>The specified queue does not exist.<\/Message><Detail\/><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>/,
    );
    const unknown = await form({ Action: 'FlyToTheMoon' });
    expect(await unknown.text()).toContain('<Code>InvalidAction</Code>');
    const noName = await form({ Action: 'CreateQueue' });
    expect(await noName.text()).toContain('<Code>MissingParameter</Code>');
  });
});

describe('JSON 1.0 on the raw wire', () => {
  it('answers errors with __type and the x-amzn-query-error header', async () => {
    const response = await fetch(`${h.url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.GetQueueUrl' },
      body: JSON.stringify({ QueueName: 'nope-nope' }),
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.0');
    expect(response.headers.get('x-amzn-query-error')).toBe('AWS.SimpleQueueService.NonExistentQueue;Sender');
    expect(await response.json()).toEqual({
      __type: 'com.amazonaws.sqs#QueueDoesNotExist',
      message: 'The specified queue does not exist.',
    });
  });

  it('leaves a POST / that is not SQS to the app: 404 NotFound in the /v1 shape', async () => {
    const response = await fetch(`${h.url}/`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 'NotFound' } });
  });
});
