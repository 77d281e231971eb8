/**
 * The topic routes: what they refuse before the engine, what they hand the engine, and what they
 * answer. The engine is a stub; integration-topics.test.ts runs the real one.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../functions/api/app';
import { TopicListSchema, TopicPublishResponse, TopicSchema } from '../../functions/api/schemas';
import {
  PayloadTooLargeError,
  QueueFullError,
  QueueNotFoundError,
  TopicNotFoundError,
  ValidationError,
} from '../../functions/core/errors';
import type { PublishInput, Subscription, Topic } from '../../functions/core/types';
import { argsOf, expectError, NOW, ROUTES, send, stubEngine, throwingEngine } from './support';

const clock = () => NOW;

const topic: Topic = {
  name: 'events',
  subscriptions: [{ queue: 'a' }, { queue: 'b', filter: { kind: ['x', 'y'], region: [] } }],
  createdAt: Date.parse('2026-11-24T19:00:00Z'),
};
const topicJson = {
  name: 'events',
  subscriptions: [{ queue: 'a' }, { queue: 'b', filter: { kind: ['x', 'y'], region: [] } }],
  createdAt: '2026-11-24T19:00:00.000Z',
};

let engine: ReturnType<typeof throwingEngine>;
beforeEach(() => {
  // Requests that do reach the throwing engine are logged as unexpected errors; keep the output clean.
  vi.spyOn(console, 'error').mockImplementation(() => {});
  engine = throwingEngine();
});

const subscriptions = (count: number): Subscription[] =>
  Array.from({ length: count }, (_, i) => ({ queue: `q${i}` }));

describe('refused before the engine', () => {
  it('refuses topic names outside ^[A-Za-z0-9_-]{1,80}$ on every topic route', async () => {
    const app = createApp({ engine, clock });
    for (const name of ['a.b', 'a%20b', 'é', 'x'.repeat(81), 'a*b', '%00']) {
      for (const { method, path, body } of ROUTES.filter((route) => route.path.startsWith('/v1/topics/t'))) {
        const answer = await send(app, method, path.replace('/v1/topics/t', `/v1/topics/${name}`), body);
        expectError(answer, 400, 'ValidationError', 'topic');
      }
    }
    expect(engine.calls).toEqual([]);
  });

  const putCases: [string, unknown][] = [
    ['subscriptions', {}],
    ['subscriptions', { subscriptions: null }],
    ['subscriptions', { subscriptions: { queue: 'a' } }],
    ['subscriptions', { subscriptions: subscriptions(51) }],
    ['subscriptions[0]', { subscriptions: ['a'] }],
    ['subscriptions[0].queue', { subscriptions: [{}] }],
    ['subscriptions[0].queue', { subscriptions: [{ queue: 'bad name' }] }],
    ['subscriptions[1].queue', { subscriptions: [{ queue: 'a' }, { queue: 5 }] }],
    ["'subscriptions[0].filters'", { subscriptions: [{ queue: 'a', filters: {} }] }],
    ['subscriptions[0].filter', { subscriptions: [{ queue: 'a', filter: null }] }],
    ['subscriptions[0].filter', { subscriptions: [{ queue: 'a', filter: ['k'] }] }],
    ['subscriptions[0].filter.k', { subscriptions: [{ queue: 'a', filter: { k: 'v' } }] }],
    ['subscriptions[0].filter.k', { subscriptions: [{ queue: 'a', filter: { k: null } }] }],
    ['subscriptions[0].filter.k[1]', { subscriptions: [{ queue: 'a', filter: { k: ['v', 1] } }] }],
    ['subscriptions[0].filter.a b', { subscriptions: [{ queue: 'a', filter: { 'a b': ['v'] } }] }],
    ['subscriptions[0].filter', { subscriptions: [{ queue: 'a', filter: { ['k'.repeat(65)]: ['v'] } }] }],
    ['subscriptions[0].filter.__proto__', '{"subscriptions":[{"queue":"a","filter":{"__proto__":"v"}}]}'],
    ["'name'", { subscriptions: [], name: 'events' }],
  ];
  it.each(putCases)('PUT refuses a bad %s', async (field, body) => {
    const answer = await send(createApp({ engine, clock }), 'PUT', '/v1/topics/t', body);
    expectError(answer, 400, 'ValidationError', field);
    expect(engine.calls).toEqual([]);
  });

  it('PUT answers an empty body with 400 InvalidJson: subscriptions is required', async () => {
    const app = createApp({ engine, clock });
    expectError(await send(app, 'PUT', '/v1/topics/t', ''), 400, 'InvalidJson');
    expectError(await send(app, 'PUT', '/v1/topics/t', '[]'), 400, 'InvalidJson');
    expect(engine.calls).toEqual([]);
  });

  it('PUT refuses subscriptions over 256 KiB as JSON, naming them', async () => {
    const filter = { k: Array.from({ length: 30 }, (_, i) => `${i}`.padEnd(200, 'v')) };
    const body = { subscriptions: Array.from({ length: 50 }, (_, i) => ({ queue: `q${i}`, filter })) };
    const answer = await send(createApp({ engine, clock }), 'PUT', '/v1/topics/t', body);
    expectError(answer, 400, 'ValidationError', 'subscriptions');
    expect(engine.calls).toEqual([]);
  });

  const publishCases: [string, unknown][] = [
    ['body', {}],
    ['body', { body: null }],
    ["'waitSeconds'", { body: 1, waitSeconds: 0 }],
    ['priority', { body: 1, priority: 10 }],
    ['delaySeconds', { body: 1, delaySeconds: -1 }],
    ['deliverAt', { body: 1, deliverAt: '2026-11-26T10:00:00Z', delaySeconds: 5 }],
    ['deliverAt', { body: 1, deliverAt: '2027-11-25T12:00:00.001Z' }],
    ['groupId', { body: 1, groupId: '' }],
    ['deduplicationId', { body: 1, deduplicationId: 'd'.repeat(129) }],
    ['attributes.k', { body: 1, attributes: { k: 1 } }],
    ["'queue'", { body: 1, queue: 'a' }],
  ];
  it.each(publishCases)('publish refuses a bad %s', async (field, body) => {
    const answer = await send(createApp({ engine, clock }), 'POST', '/v1/topics/t/messages', body);
    expectError(answer, 400, 'ValidationError', field);
    expect(engine.calls).toEqual([]);
  });

  it('publish refuses a message over 262,144 bytes with 413, and an empty body with InvalidJson', async () => {
    const app = createApp({ engine, clock });
    expectError(
      await send(app, 'POST', '/v1/topics/t/messages', { body: 'x'.repeat(262_141) }),
      413,
      'PayloadTooLarge',
    );
    expectError(await send(app, 'POST', '/v1/topics/t/messages', ''), 400, 'InvalidJson');
    expect(engine.calls).toEqual([]);
  });

  it('list refuses a bad limit, an empty cursor and unknown parameters', async () => {
    const app = createApp({ engine, clock });
    for (const [query, field] of [
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=x', 'limit'],
      ['cursor=', 'cursor'],
      ['prefix=a', 'prefix'],
    ]) {
      expectError(await send(app, 'GET', `/v1/topics?${query}`), 400, 'ValidationError', field);
    }
    expect(engine.calls).toEqual([]);
  });
});

describe('answers', () => {
  it('PUT answers 201 when created and 200 when it existed, passing the subscriptions as given', async () => {
    for (const created of [true, false]) {
      const engine = stubEngine({ putTopic: async () => ({ topic, created }) });
      const answer = await send(createApp({ engine }), 'PUT', '/v1/topics/events', {
        subscriptions: topicJson.subscriptions,
      });
      expect(answer.status).toBe(created ? 201 : 200);
      expect(answer.json).toEqual(topicJson);
      expect(Object.keys(answer.json)).toEqual(['name', 'subscriptions', 'createdAt']);
      TopicSchema.parse(answer.json);
      expect(engine.calls[0]?.args).toEqual(['events', topic.subscriptions]);
    }
  });

  it('PUT takes 0 to 50 subscriptions, filter keys like attribute keys, any string values', async () => {
    const engine = stubEngine({ putTopic: async () => ({ topic, created: true }) });
    const app = createApp({ engine });
    const filter = { 'a.b_c-D': ['', 'é', 'x'.repeat(1000)], k: [] };
    for (const list of [[], subscriptions(50), [{ queue: 'a', filter }, { queue: 'a' }]]) {
      expect((await send(app, 'PUT', '/v1/topics/events', { subscriptions: list })).status).toBe(201);
    }
    expect(engine.calls.map((call) => call.args[1])).toEqual([
      [],
      subscriptions(50),
      [{ queue: 'a', filter }, { queue: 'a' }],
    ]);
  });

  it('PUT answers a missing subscribed queue with 404 QueueNotFound naming it', async () => {
    const engine = stubEngine({
      putTopic: async () => {
        throw new QueueNotFoundError('nowhere');
      },
    });
    const answer = await send(createApp({ engine }), 'PUT', '/v1/topics/events', {
      subscriptions: [{ queue: 'nowhere' }],
    });
    expectError(answer, 404, 'QueueNotFound', 'nowhere');
  });

  it('GET answers the topic, or 404 TopicNotFound', async () => {
    const found = stubEngine({ getTopic: async () => topic });
    const answer = await send(createApp({ engine: found }), 'GET', '/v1/topics/events');
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual(topicJson);
    expect(found.calls[0]?.args).toEqual(['events']);
    const missing = stubEngine({
      getTopic: async (name) => {
        throw new TopicNotFoundError(name);
      },
    });
    expectError(
      await send(createApp({ engine: missing }), 'GET', '/v1/topics/gone'),
      404,
      'TopicNotFound',
      'gone',
    );
  });

  it('lists topics with limit 100 by default, passing limit and cursor on', async () => {
    const engine = stubEngine({ listTopics: async () => ({ items: [topic], cursor: 'next' }) });
    const app = createApp({ engine });
    const answer = await send(app, 'GET', '/v1/topics');
    expect(answer.status).toBe(200);
    TopicListSchema.parse(answer.json);
    expect(answer.json).toEqual({ topics: [topicJson], cursor: 'next' });
    await send(app, 'GET', '/v1/topics?limit=1&cursor=next');
    expect(engine.calls.map((call) => call.args[0])).toEqual([{ limit: 100 }, { limit: 1, cursor: 'next' }]);
  });

  it('answers a cursor the engine did not issue with 400 ValidationError', async () => {
    const engine = stubEngine({
      listTopics: async () => {
        throw new ValidationError('cursor: not issued by this server.');
      },
    });
    expectError(
      await send(createApp({ engine }), 'GET', '/v1/topics?cursor=forged'),
      400,
      'ValidationError',
      'cursor',
    );
  });

  it('DELETE answers 204, or 404 TopicNotFound', async () => {
    const engine = stubEngine({ deleteTopic: async () => {} });
    const answer = await send(createApp({ engine }), 'DELETE', '/v1/topics/events');
    expect(answer.status).toBe(204);
    expect(answer.text).toBe('');
    expect(engine.calls[0]?.args).toEqual(['events']);
    const missing = stubEngine({
      deleteTopic: async (name) => {
        throw new TopicNotFoundError(name);
      },
    });
    expectError(
      await send(createApp({ engine: missing }), 'DELETE', '/v1/topics/gone'),
      404,
      'TopicNotFound',
    );
  });
});

describe('publish to a topic', () => {
  it('answers 201 {id, deliveries}, duplicate: true only where it is one', async () => {
    const engine = stubEngine({
      publishToTopic: async () => ({
        id: 't1',
        deliveries: [
          { queue: 'a', id: 'm1' },
          { queue: 'b', id: 'm0', duplicate: true },
        ],
      }),
    });
    const answer = await send(createApp({ engine, clock }), 'POST', '/v1/topics/events/messages', {
      body: 1,
    });
    expect(answer.status).toBe(201);
    TopicPublishResponse.parse(answer.json);
    expect(answer.json).toEqual({
      id: 't1',
      deliveries: [
        { queue: 'a', id: 'm1' },
        { queue: 'b', id: 'm0', duplicate: true },
      ],
    });
  });

  it('answers 201 with no deliveries when no filter matched', async () => {
    const engine = stubEngine({ publishToTopic: async () => ({ id: 't1', deliveries: [] }) });
    const answer = await send(createApp({ engine, clock }), 'POST', '/v1/topics/events/messages', {
      body: 1,
    });
    expect(answer.status).toBe(201);
    expect(answer.json).toEqual({ id: 't1', deliveries: [] });
  });

  it('hands the engine every field; delaySeconds becomes a deliverAt counted from the request', async () => {
    const engine = stubEngine({ publishToTopic: async () => ({ id: 't1', deliveries: [] }) });
    const app = createApp({ engine, clock });
    await send(app, 'POST', '/v1/topics/events/messages', {
      body: { a: 1 },
      delaySeconds: 5,
      priority: 9,
      groupId: 'g',
      deduplicationId: 'd',
      attributes: { kind: 'x' },
    });
    await send(app, 'POST', '/v1/topics/events/messages', {
      body: 'b',
      deliverAt: '2026-11-25T13:00:00+01:00',
    });
    await send(app, 'POST', '/v1/topics/events/messages', '{"body":0,"attributes":{"__proto__":"x"}}');
    expect(argsOf(engine, 0)).toEqual([
      'events',
      {
        body: { a: 1 },
        deliverAt: NOW + 5_000,
        priority: 9,
        groupId: 'g',
        deduplicationId: 'd',
        attributes: { kind: 'x' },
      } satisfies PublishInput,
    ]);
    expect(argsOf(engine, 1)).toEqual(['events', { body: 'b', deliverAt: NOW }]);
    const attributes = (argsOf(engine, 2)[1] as PublishInput).attributes ?? {};
    expect(Object.entries(attributes)).toEqual([['__proto__', 'x']]);
  });

  it('answers the fan-out faults: 404 TopicNotFound, 429 QueueFull naming the queue, 413 too wide', async () => {
    const cases: [Error, number, string, string][] = [
      [new TopicNotFoundError('events'), 404, 'TopicNotFound', 'events'],
      [new QueueFullError('full-one', 1), 429, 'QueueFull', 'full-one'],
      [
        new PayloadTooLargeError('does not fit in one DynamoDB transaction'),
        413,
        'PayloadTooLarge',
        'transaction',
      ],
    ];
    for (const [error, status, code, named] of cases) {
      const engine = stubEngine({
        publishToTopic: async () => {
          throw error;
        },
      });
      const answer = await send(createApp({ engine, clock }), 'POST', '/v1/topics/events/messages', {
        body: 1,
      });
      expectError(answer, status, code, named);
      if (status === 429) expect(answer.headers.get('retry-after')).toBe('1');
    }
  });
});
