/** GET /v1/openapi.json: an OpenAPI 3.1 document generated from the schemas the server validates with. */
import { describe, expect, it } from 'vitest';
import { createApp } from '../../functions/api/app';
import { AUTH, expectError, send, TOKEN, throwingEngine } from './support';

async function document() {
  const answer = await send(createApp({ engine: throwingEngine() }), 'GET', '/v1/openapi.json');
  expect(answer.status).toBe(200);
  return answer.json;
}

describe('GET /v1/openapi.json', () => {
  it('is OpenAPI 3.1 with exactly the routes the app serves', async () => {
    const doc = await document();
    expect(doc.openapi).toBe('3.1.0');
    const routes = Object.entries(doc.paths as Record<string, object>).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(routes.sort()).toEqual(
      [
        'PUT /v1/queues/{queue}',
        'GET /v1/queues/{queue}',
        'DELETE /v1/queues/{queue}',
        'GET /v1/queues',
        'POST /v1/queues/{queue}/purge',
        'POST /v1/queues/{queue}/pause',
        'POST /v1/queues/{queue}/resume',
        'POST /v1/queues/{queue}/messages',
        'GET /v1/queues/{queue}/messages',
        'POST /v1/queues/{queue}/messages/batch',
        'GET /v1/queues/{queue}/messages/{id}',
        'DELETE /v1/queues/{queue}/messages/{id}',
        'PATCH /v1/queues/{queue}/messages/{id}',
        'POST /v1/queues/{queue}/redrive',
        'POST /v1/queues/{queue}/messages/{id}/redrive',
        'GET /v1/queues/{queue}/rates',
        'GET /v1/consumers',
        'PUT /v1/topics/{topic}',
        'GET /v1/topics/{topic}',
        'DELETE /v1/topics/{topic}',
        'GET /v1/topics',
        'POST /v1/topics/{topic}/messages',
        'PUT /v1/schedules/{name}',
        'GET /v1/schedules/{name}',
        'DELETE /v1/schedules/{name}',
        'GET /v1/schedules',
        'POST /v1/queues/{queue}/receive',
        'POST /v1/queues/{queue}/ack',
        'POST /v1/queues/{queue}/release',
        'POST /v1/queues/{queue}/extend',
        'GET /v1/health',
        'GET /v1/openapi.json',
        // The SQS endpoint (docs/sqs.md).
        'POST /',
      ].sort(),
    );
  });

  it('documents the ranges and strictness the server enforces', async () => {
    const { components } = await document();
    const publish = components.schemas.PublishRequest;
    expect(publish.additionalProperties).toBe(false);
    expect(publish.required).toEqual(['body']);
    expect(publish.properties.priority).toMatchObject({ type: 'integer', minimum: 0, maximum: 9 });
    expect(publish.properties.delaySeconds).toMatchObject({ minimum: 0, maximum: 31_536_000 });
    expect(publish.properties.groupId).toMatchObject({ minLength: 1, maxLength: 128 });
    expect(components.schemas.ReceiveRequest.properties.maxMessages).toMatchObject({
      minimum: 1,
      maximum: 10,
    });
    expect(components.schemas.PutQueueRequest.properties.maxReceiveCount).toMatchObject({
      type: ['integer', 'null'],
      minimum: 1,
      maximum: 1000,
    });
    expect(components.schemas.AckBatchRequest.properties.receipts).toMatchObject({
      minItems: 1,
      maxItems: 100,
    });
    expect(components.schemas.PublishBatchRequest.properties.messages).toMatchObject({
      minItems: 1,
      maxItems: 25,
    });
    expect(components.schemas.Error.required).toEqual(['error']);
    const reschedule = components.schemas.RescheduleRequest;
    expect(reschedule.additionalProperties).toBe(false);
    expect(reschedule.properties.priority).toMatchObject({ type: 'integer', minimum: 0, maximum: 9 });
    expect(components.schemas.RedriveRequest.properties.maxMessages).toMatchObject({ minimum: 1 });
    const topicPublish = components.schemas.TopicPublishRequest;
    expect(topicPublish.additionalProperties).toBe(false);
    expect(topicPublish.required).toEqual(['body']);
    expect(topicPublish.properties).not.toHaveProperty('waitSeconds');
    expect(components.schemas.PutTopicRequest.required).toEqual(['subscriptions']);
    expect(components.schemas.PutTopicRequest.properties.subscriptions).toMatchObject({ maxItems: 50 });
    expect(components.schemas.Subscription.required).toEqual(['queue']);
  });

  it('documents the path and query parameters', async () => {
    const { paths } = await document();
    const browse = paths['/v1/queues/{queue}/messages'].get.parameters;
    expect(browse.map((p: { name: string; in: string }) => `${p.in}:${p.name}`).sort()).toEqual(
      ['path:queue', 'query:cursor', 'query:limit', 'query:state'].sort(),
    );
    const limit = browse.find((p: { name: string }) => p.name === 'limit');
    expect(limit.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 100 });
  });

  it('documents the answers of reschedule, redrive and the topic routes', async () => {
    const { paths } = await document();
    const schemaOf = (path: string, method: string, status: string) =>
      paths[path][method].responses[status]?.content?.['application/json']?.schema?.$ref;
    expect(schemaOf('/v1/queues/{queue}/messages/{id}', 'patch', '200')).toBe(
      '#/components/schemas/MessageView',
    );
    expect(paths['/v1/queues/{queue}/messages/{id}'].patch.responses).toHaveProperty('409');
    expect(schemaOf('/v1/queues/{queue}/redrive', 'post', '200')).toBe(
      '#/components/schemas/RedriveResponse',
    );
    expect(paths['/v1/queues/{queue}/redrive'].post.requestBody.required).toBe(false);
    for (const status of ['200', '201']) {
      expect(schemaOf('/v1/topics/{topic}', 'put', status)).toBe('#/components/schemas/Topic');
    }
    expect(schemaOf('/v1/topics/{topic}', 'get', '200')).toBe('#/components/schemas/Topic');
    expect(schemaOf('/v1/topics', 'get', '200')).toBe('#/components/schemas/TopicList');
    expect(schemaOf('/v1/topics/{topic}/messages', 'post', '201')).toBe(
      '#/components/schemas/TopicPublishResponse',
    );
    expect(paths['/v1/topics/{topic}/messages'].post.responses).toHaveProperty('429');
    const list = paths['/v1/topics'].get.parameters;
    expect(list.map((p: { name: string; in: string }) => `${p.in}:${p.name}`).sort()).toEqual([
      'query:cursor',
      'query:limit',
    ]);
  });

  it('needs the token like every route but health', async () => {
    const app = createApp({ engine: throwingEngine(), token: TOKEN });
    expectError(await send(app, 'GET', '/v1/openapi.json'), 401, 'Unauthorized');
    expect((await send(app, 'GET', '/v1/openapi.json', undefined, AUTH)).status).toBe(200);
  });
});
