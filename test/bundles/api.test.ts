/**
 * The deployed api function as Lambda runs it: the bundle `cdk synth` writes (not the sources),
 * loaded in its own process with the environment the stack gives it, called with the HTTP API
 * payload-v2 events API Gateway sends after IAM authorization, against DynamoDB Local through
 * AWS_ENDPOINT_URL_DYNAMODB. Every route of the OpenAPI document once, answers checked against
 * docs/api.md, and what was published read back from the table by the engine itself.
 */

import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoEngine } from '../../functions/core/dynamo-engine';
import { freshTable, testClient } from '../support/dynamo';
import { type DeployedStack, deployedStack } from './deployed-stack';
import { ACCOUNT, lambdaEnvironment, REGION } from './function-environment';
import { API_ID, type HttpAnswer, type HttpRequest, httpEvent, readAnswer } from './http-events';
import { FunctionError, LambdaProcess } from './lambda-process';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

let stack: DeployedStack;
let api: LambdaProcess;
let engine: DynamoEngine;
let env: Record<string, string>;
/** `METHOD /template` of every route called, to compare with the OpenAPI document at the end. */
const called = new Set<string>();

beforeAll(async () => {
  stack = await deployedStack();
  const { client, tableName } = await freshTable(testClient());
  engine = new DynamoEngine({ client, tableName });
  env = lambdaEnvironment(stack, stack.api, { tableName, endpoints: { dynamodb: inject('dynamoEndpoint') } });
  api = await LambdaProcess.start(stack.api, env);
}, 240_000);

afterAll(async () => {
  await api?.stop();
});

/** Calls `route` (e.g. `POST /v1/queues/{queue}/messages`) with its path parameters filled in. */
async function call(
  route: string,
  params: Record<string, string> = {},
  request: Omit<HttpRequest, 'method' | 'path'> = {},
): Promise<HttpAnswer> {
  const [method, template] = route.split(' ') as [string, string];
  called.add(route);
  const path = template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
  return readAnswer(await api.invoke(httpEvent(stack, { method, path, ...request })));
}

describe('the bundled api function', () => {
  it('is deployed as index.handler behind ANY / and ANY /{proxy+} on the $default stage', () => {
    expect(stack.api).toMatchObject({ handler: 'index.handler', runtime: 'nodejs22.x' });
    expect(stack.stageName).toBe('$default');
    expect([...stack.routeKeys].sort()).toEqual(['ANY /', 'ANY /{proxy+}']);
  });

  it('refuses to start without its table name, with a clear init error', async () => {
    const { POSTBOX_TABLE: _, ...withoutTable } = env;
    const started = LambdaProcess.start(stack.api, withoutTable);
    await expect(started).rejects.toThrow(FunctionError);
    await expect(started).rejects.toThrow(/POSTBOX_TABLE/);
  });
});

describe('service routes', () => {
  it('GET /v1/health answers 200 ok (the table answers)', async () => {
    const answer = await call('GET /v1/health');
    expect(answer).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('GET /v1/openapi.json answers the OpenAPI 3.1 document', async () => {
    const answer = await call('GET /v1/openapi.json');
    expect(answer.status).toBe(200);
    expect(answer.body.openapi).toBe('3.1.0');
    expect(Object.keys(answer.body.paths)).toContain('/v1/queues/{queue}/messages');
  });
});

describe('queue routes', () => {
  it('PUT /v1/queues/{queue} creates (201, base64 body without Content-Type) and updates (200)', async () => {
    const dead = await call('PUT /v1/queues/{queue}', { queue: 'dead' });
    expect(dead).toMatchObject({ status: 201, body: { name: 'dead', order: 'fifo', deadLetterQueue: null } });
    const created = await call(
      'PUT /v1/queues/{queue}',
      { queue: 'orders' },
      { body: { deadLetterQueue: 'dead', maxReceiveCount: 1 }, base64: true },
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'orders', deadLetterQueue: 'dead', maxReceiveCount: 1 });
    expect(created.body.createdAt).toMatch(ISO);
    const updated = await call('PUT /v1/queues/{queue}', { queue: 'orders' }, { body: { delaySeconds: 0 } });
    expect(updated).toMatchObject({ status: 200, body: { name: 'orders', maxReceiveCount: 1 } });
    expect(updated.headers['content-type']).toMatch(/^application\/json/);
  });

  it('GET /v1/queues/{queue} answers the queue with its counts', async () => {
    const answer = await call('GET /v1/queues/{queue}', { queue: 'orders' });
    expect(answer.status).toBe(200);
    expect(answer.body.counts).toEqual({ ready: 0, delayed: 0, inFlight: 0, total: 0 });
  });

  it('GET /v1/queues pages by the query string (limit, then the cursor it gave)', async () => {
    const first = await call('GET /v1/queues', {}, { query: { limit: '1' } });
    expect(first.status).toBe(200);
    expect(first.body.queues.map((queue: { name: string }) => queue.name)).toEqual(['dead']);
    expect(first.body.cursor).toEqual(expect.any(String));
    const second = await call('GET /v1/queues', {}, { query: { limit: '1', cursor: first.body.cursor } });
    expect(second.body.queues.map((queue: { name: string }) => queue.name)).toEqual(['orders']);
    const bad = await call('GET /v1/queues', {}, { query: { limit: '500' } });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'ValidationError' } } });
  });
});

describe('message routes', () => {
  const ids: Record<string, string> = {};

  it('POST /v1/queues/{queue}/messages publishes (201) into the table; a repeat is a duplicate (200)', async () => {
    const publish = {
      body: { order: 1, note: 'héllo ✓' },
      deduplicationId: 'order-1',
      attributes: { kind: 'order' },
    };
    const answer = await call(
      'POST /v1/queues/{queue}/messages',
      { queue: 'orders' },
      { body: publish, base64: true },
    );
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({
      id: expect.any(String),
      deliverAt: expect.stringMatching(ISO),
      duplicate: false,
    });
    ids.first = answer.body.id;
    // In DynamoDB Local, read by the engine itself, not through the bundle.
    expect(await engine.getMessage('orders', answer.body.id)).toMatchObject({
      body: publish.body,
      attributes: { kind: 'order' },
      state: 'ready',
    });
    const again = await call('POST /v1/queues/{queue}/messages', { queue: 'orders' }, { body: publish });
    expect(again).toMatchObject({ status: 200, body: { id: answer.body.id, duplicate: true } });
  });

  it('POST /v1/queues/{queue}/messages/batch answers one result per entry, in order', async () => {
    const answer = await call(
      'POST /v1/queues/{queue}/messages/batch',
      { queue: 'orders' },
      { body: { messages: [{ body: 'second' }, { body: 'third', priority: 12 }, { body: 'fourth' }] } },
    );
    expect(answer.status).toBe(200);
    const [second, bad, fourth] = answer.body.results;
    expect(second).toMatchObject({ id: expect.any(String), duplicate: false });
    expect(bad.error.code).toBe('ValidationError');
    expect(bad.error.message).toMatch(/priority/);
    expect(fourth).toMatchObject({ id: expect.any(String), duplicate: false });
    ids.second = second.id;
    ids.fourth = fourth.id;
  });

  it('GET /v1/queues/{queue}/messages browses in delivery order (state and limit in the query)', async () => {
    const answer = await call(
      'GET /v1/queues/{queue}/messages',
      { queue: 'orders' },
      { query: { state: 'ready', limit: '10' } },
    );
    expect(answer.status).toBe(200);
    expect(answer.body.messages.map((message: { id: string }) => message.id)).toEqual([
      ids.first,
      ids.second,
      ids.fourth,
    ]);
    expect(answer.body.messages[0]).toMatchObject({ state: 'ready', receiveCount: 0, leaseExpiresAt: null });
    expect(answer.body.cursor).toBeNull();
  });

  it('GET /v1/queues/{queue}/messages/{id} answers the message view', async () => {
    const answer = await call('GET /v1/queues/{queue}/messages/{id}', {
      queue: 'orders',
      id: ids.first as string,
    });
    expect(answer).toMatchObject({
      status: 200,
      body: { id: ids.first, body: { order: 1, note: 'héllo ✓' }, groupId: null },
    });
  });

  it('PATCH /v1/queues/{queue}/messages/{id} reschedules it', async () => {
    const answer = await call(
      'PATCH /v1/queues/{queue}/messages/{id}',
      { queue: 'orders', id: ids.first as string },
      { body: { delaySeconds: 3600, priority: 5 } },
    );
    expect(answer).toMatchObject({ status: 200, body: { id: ids.first, state: 'delayed', priority: 5 } });
    expect(Date.parse(answer.body.deliverAt) - Date.now()).toBeGreaterThan(3500_000);
  });

  it('DELETE /v1/queues/{queue}/messages/{id} cancels it (204), then it is not found (404)', async () => {
    const route = 'DELETE /v1/queues/{queue}/messages/{id}';
    expect((await call(route, { queue: 'orders', id: ids.first as string })).status).toBe(204);
    const gone = await call('GET /v1/queues/{queue}/messages/{id}', {
      queue: 'orders',
      id: ids.first as string,
    });
    expect(gone).toMatchObject({ status: 404, body: { error: { code: 'MessageNotFound' } } });
  });
});

describe('lease routes', () => {
  let receipts: Record<string, string> = {};

  it('POST /v1/queues/{queue}/receive leases what was published, with receipts', async () => {
    const answer = await call(
      'POST /v1/queues/{queue}/receive',
      { queue: 'orders' },
      { body: { maxMessages: 10 } },
    );
    expect(answer.status).toBe(200);
    expect(answer.body.messages.map((message: { body: unknown }) => message.body)).toEqual([
      'second',
      'fourth',
    ]);
    for (const message of answer.body.messages) {
      expect(message).toMatchObject({
        receiveCount: 1,
        receipt: expect.any(String),
        deadLetter: null,
        attributes: {},
      });
    }
    receipts = Object.fromEntries(
      answer.body.messages.map((m: { body: string; receipt: string }) => [m.body, m.receipt]),
    );
    expect((await engine.getQueue('orders')).counts).toMatchObject({ inFlight: 2, ready: 0 });
  });

  it('POST /v1/queues/{queue}/extend moves the lease end (200 leaseExpiresAt)', async () => {
    const answer = await call(
      'POST /v1/queues/{queue}/extend',
      { queue: 'orders' },
      { body: { receipt: receipts.second, visibilityTimeoutSeconds: 120 } },
    );
    expect(answer.status).toBe(200);
    expect(Date.parse(answer.body.leaseExpiresAt) - Date.now()).toBeGreaterThan(100_000);
  });

  it('POST /v1/queues/{queue}/ack acks one receipt (204) and a list (200 results)', async () => {
    const one = await call(
      'POST /v1/queues/{queue}/ack',
      { queue: 'orders' },
      { body: { receipt: receipts.second } },
    );
    expect(one.status).toBe(204);
    expect(one.body).toBeUndefined();
    const list = await call(
      'POST /v1/queues/{queue}/ack',
      { queue: 'orders' },
      { body: { receipts: [receipts.second] } },
    );
    expect(list.status).toBe(200);
    expect(list.body.results).toEqual([
      { receipt: receipts.second, error: { code: 'ReceiptExpired', message: expect.any(String) } },
    ]);
  });

  it('POST /v1/queues/{queue}/release ends the lease (204): at maxReceiveCount it is dead-lettered', async () => {
    const answer = await call(
      'POST /v1/queues/{queue}/release',
      { queue: 'orders' },
      { body: { receipt: receipts.fourth } },
    );
    expect(answer.status).toBe(204);
    const dead = await call('GET /v1/queues/{queue}/messages', { queue: 'dead' });
    expect(dead.body.messages).toEqual([
      expect.objectContaining({
        body: 'fourth',
        deadLetter: { sourceQueue: 'orders', receiveCount: 1, reason: 'maxReceiveCount' },
      }),
    ]);
  });

  it('POST /v1/queues/{queue}/redrive moves dead letters back (200 moved)', async () => {
    const answer = await call('POST /v1/queues/{queue}/redrive', { queue: 'dead' }, { body: {} });
    expect(answer).toMatchObject({ status: 200, body: { moved: 1 } });
    expect((await engine.getQueue('orders')).counts).toMatchObject({ ready: 1, total: 1 });
  });

  it('POST /v1/queues/{queue}/purge removes every message (204)', async () => {
    const answer = await call('POST /v1/queues/{queue}/purge', { queue: 'orders' });
    expect(answer.status).toBe(204);
    expect((await engine.getQueue('orders')).counts.total).toBe(0);
  });
});

describe('operator routes', () => {
  it('GET /v1/queues/{queue}/rates answers the meter of this function instance (200)', async () => {
    const answer = await call('GET /v1/queues/{queue}/rates', { queue: 'orders' });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ queue: 'orders', scope: 'process' });
  });

  it('GET /v1/consumers answers an empty list: deployed, consumers are Lambda functions (200)', async () => {
    expect(await call('GET /v1/consumers')).toMatchObject({ status: 200, body: { consumers: [] } });
  });

  it('POST /v1/queues/{queue}/messages/{id}/redrive moves one message to `to` (200)', async () => {
    const published = await call(
      'POST /v1/queues/{queue}/messages',
      { queue: 'dead' },
      { body: { body: 'one to move' } },
    );
    const id = published.body.id as string;
    const notDead = await call(
      'POST /v1/queues/{queue}/messages/{id}/redrive',
      { queue: 'dead', id },
      { body: {} },
    );
    expect(notDead).toMatchObject({ status: 409, body: { error: { code: 'Conflict' } } });
    const moved = await call(
      'POST /v1/queues/{queue}/messages/{id}/redrive',
      { queue: 'dead', id },
      { body: { to: 'orders' } },
    );
    expect(moved).toMatchObject({ status: 200, body: { queue: 'orders', id } });
    expect((await engine.getMessage('orders', id)).body).toBe('one to move');
  });

  it('POST /v1/queues/{queue}/pause and /resume (204 each): paused, a receive answers nothing', async () => {
    await call('PUT /v1/queues/{queue}', { queue: 'held' }, { body: {} });
    await call('POST /v1/queues/{queue}/messages', { queue: 'held' }, { body: { body: 'waits' } });
    expect((await call('POST /v1/queues/{queue}/pause', { queue: 'held' }, { body: {} })).status).toBe(204);
    expect((await call('GET /v1/queues/{queue}', { queue: 'held' })).body).toMatchObject({ paused: true });
    const paused = await call('POST /v1/queues/{queue}/receive', { queue: 'held' }, { body: {} });
    expect(paused).toMatchObject({ status: 200, body: { messages: [] } });
    expect((await call('POST /v1/queues/{queue}/resume', { queue: 'held' }, { body: {} })).status).toBe(204);
    const resumed = await call('POST /v1/queues/{queue}/receive', { queue: 'held' }, { body: {} });
    expect(resumed.body.messages).toHaveLength(1);
  });
});

describe('topic routes', () => {
  it('PUT /v1/topics/{topic} creates it (201) with its subscriptions', async () => {
    const answer = await call(
      'PUT /v1/topics/{topic}',
      { topic: 'events' },
      { body: { subscriptions: [{ queue: 'orders', filter: { kind: ['order'] } }, { queue: 'dead' }] } },
    );
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ name: 'events', createdAt: expect.stringMatching(ISO) });
  });

  it('GET /v1/topics/{topic} and GET /v1/topics answer it', async () => {
    const one = await call('GET /v1/topics/{topic}', { topic: 'events' });
    expect(one).toMatchObject({ status: 200, body: { name: 'events' } });
    expect(one.body.subscriptions).toHaveLength(2);
    const list = await call('GET /v1/topics', {}, { query: { limit: '10' } });
    expect(list).toMatchObject({ status: 200, body: { topics: [{ name: 'events' }], cursor: null } });
  });

  it('POST /v1/topics/{topic}/messages fans out to the matching queues (201 deliveries)', async () => {
    const answer = await call(
      'POST /v1/topics/{topic}/messages',
      { topic: 'events' },
      { body: { body: { shipped: true }, attributes: { kind: 'audit' } }, base64: true },
    );
    expect(answer.status).toBe(201);
    expect(answer.body.deliveries).toEqual([{ queue: 'dead', id: expect.any(String) }]);
    expect(await engine.getMessage('dead', answer.body.deliveries[0].id)).toMatchObject({
      body: { shipped: true },
    });
  });

  it('DELETE /v1/topics/{topic} removes it (204)', async () => {
    expect((await call('DELETE /v1/topics/{topic}', { topic: 'events' })).status).toBe(204);
    const gone = await call('GET /v1/topics/{topic}', { topic: 'events' });
    expect(gone).toMatchObject({ status: 404, body: { error: { code: 'TopicNotFound' } } });
  });
});

describe('the SQS endpoint (route ANY /, docs/sqs.md)', () => {
  const domain = `${API_ID}.execute-api.${REGION}.amazonaws.com`;
  const queueUrl = `https://${domain}/${ACCOUNT}/sqs-orders`;
  const json = (action: string, body: unknown) =>
    call(
      'POST /',
      {},
      {
        body,
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${action}` },
      },
    );

  it('POST / (AWS JSON 1.0) answers queue URLs of the deployed API and its account, one queue with /v1', async () => {
    const created = await json('CreateQueue', { QueueName: 'sqs-orders' });
    expect(created).toMatchObject({ status: 200, body: { QueueUrl: queueUrl } });
    expect(created.headers['content-type']).toBe('application/x-amz-json-1.0');
    const sent = await json('SendMessage', { QueueUrl: queueUrl, MessageBody: 'order 42' });
    expect(sent).toMatchObject({
      status: 200,
      body: { MessageId: expect.any(String), MD5OfMessageBody: '6fe5d55dde2e15cca02ebd1b84b858ff' },
    });
    // The same message through the engine, as /v1 sees it.
    expect(await engine.getMessage('sqs-orders', sent.body.MessageId)).toMatchObject({ body: 'order 42' });
    const { body: attributes } = await json('GetQueueAttributes', {
      QueueUrl: queueUrl,
      AttributeNames: ['QueueArn'],
    });
    expect(attributes.Attributes.QueueArn).toBe(`arn:aws:sqs:${REGION}:${ACCOUNT}:sqs-orders`);
    const missing = await json('GetQueueUrl', { QueueName: 'sqs-missing' });
    expect(missing).toMatchObject({ status: 400, body: { __type: 'com.amazonaws.sqs#QueueDoesNotExist' } });
    expect(missing.headers['x-amzn-query-error']).toBe('AWS.SimpleQueueService.NonExistentQueue;Sender');
  });

  it('POST / (Query protocol, base64 form body) receives the message and deletes it', async () => {
    const form = (fields: Record<string, string>) =>
      readAnswerText(
        api.invoke<APIGatewayProxyStructuredResultV2>(
          httpEvent(stack, {
            method: 'POST',
            path: '/',
            rawBody: new URLSearchParams({ Version: '2012-11-05', ...fields }).toString(),
            base64: true,
            headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
          }),
        ),
      );
    const received = await form({ Action: 'ReceiveMessage', QueueUrl: queueUrl });
    expect(received.status).toBe(200);
    expect(received.text).toContain('<Body>order 42</Body>');
    const handle = /<ReceiptHandle>([^<]+)<\/ReceiptHandle>/.exec(received.text)?.[1] ?? '';
    const deleted = await form({ Action: 'DeleteMessage', QueueUrl: queueUrl, ReceiptHandle: handle });
    expect(deleted.status).toBe(200);
    expect((await engine.getQueue('sqs-orders')).counts).toMatchObject({ total: 0 });
    expect((await json('DeleteQueue', { QueueUrl: queueUrl })).status).toBe(200);
  });
});

/** An answer whose body is not JSON (the Query protocol's XML). */
async function readAnswerText(result: Promise<APIGatewayProxyStructuredResultV2>) {
  const answer = await result;
  const raw = answer.body ?? '';
  return {
    status: answer.statusCode ?? 200,
    text: answer.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw,
  };
}

describe('schedule routes', () => {
  it('PUT, GET, list and DELETE /v1/schedules (the bundle parses cron with its time zone)', async () => {
    const put = await call(
      'PUT /v1/schedules/{name}',
      { name: 'weekday-report' },
      {
        body: {
          cron: 'CRON_TZ=Europe/Berlin 0 9 * * 1-5',
          target: { queue: 'orders' },
          message: { body: 'go' },
        },
        base64: true,
      },
    );
    expect(put.status).toBe(201);
    expect(put.body).toMatchObject({ name: 'weekday-report', timeZone: 'Europe/Berlin' });
    expect(put.body.nextFirings).toHaveLength(5);
    for (const at of put.body.nextFirings) expect(at).toMatch(ISO);
    const one = await call('GET /v1/schedules/{name}', { name: 'weekday-report' });
    expect(one).toMatchObject({ status: 200, body: { name: 'weekday-report', paused: false } });
    const list = await call('GET /v1/schedules', {}, { query: { limit: '10' } });
    expect(list).toMatchObject({
      status: 200,
      body: { schedules: [{ name: 'weekday-report' }], cursor: null },
    });
    expect((await call('DELETE /v1/schedules/{name}', { name: 'weekday-report' })).status).toBe(204);
    const gone = await call('GET /v1/schedules/{name}', { name: 'weekday-report' });
    expect(gone).toMatchObject({ status: 404, body: { error: { code: 'NotFound' } } });
  });
});

describe('queue deletion and what does not route', () => {
  it('DELETE /v1/queues/{queue}: 409 while it is a dead-letter queue, then 204, then 404', async () => {
    const route = 'DELETE /v1/queues/{queue}';
    expect(await call(route, { queue: 'dead' })).toMatchObject({
      status: 409,
      body: { error: { code: 'Conflict' } },
    });
    expect((await call(route, { queue: 'orders' })).status).toBe(204);
    expect((await call(route, { queue: 'dead' })).status).toBe(204);
    const gone = await call('GET /v1/queues/{queue}', { queue: 'orders' });
    expect(gone).toMatchObject({ status: 404, body: { error: { code: 'QueueNotFound' } } });
  });

  it('answers the root (route ANY /), unknown paths, wrong methods and bad JSON in the contract shape', async () => {
    const send = async (request: HttpRequest) => readAnswer(await api.invoke(httpEvent(stack, request)));
    const root = await send({ method: 'GET', path: '/' });
    expect(root).toMatchObject({ status: 404, body: { error: { code: 'NotFound' } } });
    const unknown = await send({ method: 'GET', path: '/v1/nothing' });
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'NotFound' } } });
    const wrong = await send({ method: 'DELETE', path: '/v1/health' });
    expect(wrong).toMatchObject({ status: 405, body: { error: { code: 'MethodNotAllowed' } } });
    expect(wrong.headers.allow).toBe('GET, HEAD');
    const json = await send({
      method: 'POST',
      path: '/v1/queues/orders/messages',
      rawBody: '{"body":',
      base64: true,
    });
    expect(json).toMatchObject({ status: 400, body: { error: { code: 'InvalidJson' } } });
  });

  it('served every route of its own OpenAPI document', async () => {
    const { body } = await call('GET /v1/openapi.json');
    const documented = Object.entries(body.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.length).toBeGreaterThanOrEqual(20);
    expect([...called].sort()).toEqual([...documented].sort());
  });
});
