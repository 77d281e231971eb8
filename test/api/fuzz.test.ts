/**
 * Property tests: malformed requests on every route are answered 4xx with the error body, never
 * 500; well-formed ones that reach the real engine never produce a 500 either.
 */
import fc from 'fast-check';
import type { Hono } from 'hono';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../functions/api/app';
import { manualClock, queueName, testEngine } from '../support/engine';
import { type Answer, ROUTES, send, throwingEngine } from './support';

const METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'PATCH', 'DELETE', 'OPTIONS'];

/** Fields each body route knows, so mutations can hit them with wrong values. */
const FIELDS: Record<string, string[]> = {
  'PUT /v1/queues/q': [
    'order',
    'visibilityTimeoutSeconds',
    'maxReceiveCount',
    'deadLetterQueue',
    'delaySeconds',
    'retentionSeconds',
    'maxMessages',
    'deduplicationWindowSeconds',
    'shards',
    'throughput',
    'targetMessagesPerSecond',
    'rateLimit',
    'groupLimits',
  ],
  'POST /v1/queues/q/purge': [],
  'POST /v1/queues/q/pause': [],
  'POST /v1/queues/q/resume': [],
  'POST /v1/queues/q/messages': [
    'body',
    'delaySeconds',
    'deliverAt',
    'priority',
    'groupId',
    'deduplicationId',
    'attributes',
    'waitSeconds',
  ],
  'POST /v1/queues/q/messages/batch': ['messages'],
  'POST /v1/queues/q/receive': ['maxMessages', 'waitSeconds', 'visibilityTimeoutSeconds', 'ack'],
  'POST /v1/queues/q/ack': ['receipt', 'receipts'],
  'POST /v1/queues/q/release': ['receipt', 'delaySeconds'],
  'POST /v1/queues/q/extend': ['receipt', 'visibilityTimeoutSeconds'],
  'PATCH /v1/queues/q/messages/abc': ['deliverAt', 'delaySeconds', 'priority'],
  'POST /v1/queues/q/redrive': ['to', 'maxMessages'],
  'PUT /v1/topics/t': ['subscriptions'],
  'POST /v1/topics/t/messages': [
    'body',
    'delaySeconds',
    'deliverAt',
    'priority',
    'groupId',
    'deduplicationId',
    'attributes',
  ],
};
const ALL_FIELDS = [...new Set(Object.values(FIELDS).flat())];
const bodyRoutes = ROUTES.filter((route) => route.body !== undefined);

function expectErrorShape(answer: Answer): void {
  expect(answer.status).toBeGreaterThanOrEqual(400);
  expect(answer.status).toBeLessThan(500);
  expect(Object.keys(answer.json ?? {})).toEqual(['error']);
  expect(typeof answer.json.error.code).toBe('string');
  expect(typeof answer.json.error.message).toBe('string');
}

/** Values that are the wrong type for every field (no field takes an array of numbers or an object of numbers). */
const wrongValue = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Number.isInteger(n)),
  fc.array(fc.integer(), { minLength: 1 }),
  fc.dictionary(fc.string({ minLength: 1 }), fc.integer(), { minKeys: 1 }),
);

const notJson = fc.string().filter((text) => {
  if (text.trim() === '') return false;
  try {
    JSON.parse(text);
    return false;
  } catch {
    return true;
  }
});
const notAnObject = fc.oneof(
  fc.array(fc.jsonValue()),
  fc.integer(),
  fc.string(),
  fc.boolean(),
  fc.constant(null),
);

describe('malformed requests never reach the engine and are answered 4xx', () => {
  beforeAll(() => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
  });

  it('bodies with an unknown field, or a known field of the wrong type', async () => {
    const engine = throwingEngine();
    const app = createApp({ engine });
    const route = fc.constantFrom(...bodyRoutes);
    const mutation = fc.oneof(
      // An unknown field, whatever its value.
      fc.record({
        kind: fc.constant('unknown' as const),
        key: fc.string({ minLength: 1 }).filter((key) => !ALL_FIELDS.includes(key)),
        value: fc.jsonValue(),
      }),
      // A known field with a value of a type no field accepts (body: null is the one body can't be).
      fc.record({
        kind: fc.constant('wrong' as const),
        key: fc.constantFrom(...ALL_FIELDS),
        value: wrongValue,
      }),
    );
    await fc.assert(
      fc.asyncProperty(route, mutation, async ({ method, path, body }, { kind, key, value }) => {
        const known = FIELDS[`${method} ${path}`] ?? [];
        if (kind === 'wrong' && !known.includes(key)) return;
        // A few fields accept null or booleans; those values are not wrong for them.
        if (
          kind === 'wrong' &&
          value === null &&
          ['maxReceiveCount', 'deadLetterQueue', 'rateLimit', 'groupLimits'].includes(key)
        )
          return;
        if (kind === 'wrong' && key === 'body' && value !== null) return;
        // A batch's entries are judged one by one (a 200 with per-entry errors), not as the request.
        if (kind === 'wrong' && key === 'messages' && Array.isArray(value)) return;
        const mutated = JSON.parse(JSON.stringify(body));
        Object.defineProperty(mutated, key, { value, enumerable: true, writable: true, configurable: true });
        // ack: one of receipt/receipts decides the shape; with both present it is refused too.
        const answer = await send(app, method, path, JSON.stringify(mutated));
        expectErrorShape(answer);
        expect(answer.json.error.code).toBe('ValidationError');
      }),
      { numRuns: 300 },
    );
    expect(engine.calls).toEqual([]);
  });

  it('bodies that are not JSON, or not an object', async () => {
    const engine = throwingEngine();
    const app = createApp({ engine });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...bodyRoutes),
        fc.oneof(
          notJson,
          notAnObject.map((value) => JSON.stringify(value)),
        ),
        async ({ method, path }, raw) => {
          const answer = await send(app, method, path, raw);
          expectErrorShape(answer);
          expect(answer.json.error.code).toBe('InvalidJson');
        },
      ),
      { numRuns: 300 },
    );
    expect(engine.calls).toEqual([]);
  });

  it('queue and topic names outside the alphabet, on every route', async () => {
    const engine = throwingEngine();
    const app = createApp({ engine });
    const badName = fc
      .string({ minLength: 1, maxLength: 100 })
      .filter(
        (name) => !/^[A-Za-z0-9_-]{1,80}$/.test(name) && !name.includes('/') && name !== '.' && name !== '..',
      );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          ...ROUTES.filter(
            (route) => route.path.startsWith('/v1/queues/q') || route.path.startsWith('/v1/topics/t'),
          ),
        ),
        badName,
        async ({ method, path, body }, name) => {
          const answer = await send(
            app,
            method,
            path
              .replace('/v1/queues/q', `/v1/queues/${encodeURIComponent(name)}`)
              .replace('/v1/topics/t', `/v1/topics/${encodeURIComponent(name)}`),
            body,
          );
          expectErrorShape(answer);
        },
      ),
      { numRuns: 300 },
    );
    expect(engine.calls).toEqual([]);
  });

  it('any method on any path: a 4xx with the error body unless the request was well-formed', async () => {
    const engine = throwingEngine();
    const app = createApp({ engine, token: 'tok' });
    const segment = fc.oneof(
      fc.constantFrom(
        'v1',
        'queues',
        'q',
        'messages',
        'batch',
        'receive',
        'ack',
        'health',
        'openapi.json',
        'topics',
        '',
      ),
      fc.string({ maxLength: 12 }).map(encodeURIComponent),
    );
    const path = fc.array(segment, { minLength: 0, maxLength: 6 }).map((parts) => `/${parts.join('/')}`);
    const query = fc.option(fc.constantFrom('?limit=5', '?x=1', '?state=ready', '?limit=abc', '?cursor='), {
      nil: '',
    });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...METHODS),
        path,
        query,
        fc.oneof(
          fc.constant(undefined),
          fc.jsonValue().map((value) => JSON.stringify(value)),
          notJson,
        ),
        fc.boolean(),
        async (method, p, q, body, authorized) => {
          const before = engine.calls.length;
          const answer = await send(
            app,
            method,
            `${p}${q}`,
            body,
            authorized ? { Authorization: 'Bearer tok' } : {},
          );
          const reachedEngine = engine.calls.length > before;
          if (reachedEngine) return; // well-formed: the throwing engine's 500 is expected
          if (method === 'HEAD') {
            expect(answer.status).toBeGreaterThanOrEqual(200);
            expect(answer.status).toBeLessThan(500);
            return;
          }
          if (answer.status < 300) return; // e.g. GET /v1/openapi.json
          expectErrorShape(answer);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('through the real engine, nothing is a 500', () => {
  let app: Hono;
  let queue: string;
  let topic: string;
  let messageId: string;

  beforeAll(async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const clock = manualClock();
    const { engine } = await testEngine(clock);
    app = createApp({ engine, clock });
    queue = queueName('fuzz');
    expect((await send(app, 'PUT', `/v1/queues/${queue}`, {})).status).toBe(201);
    topic = queueName('fuzz-topic');
    expect((await send(app, 'PUT', `/v1/topics/${topic}`, { subscriptions: [{ queue }] })).status).toBe(201);
    messageId = (await send(app, 'POST', `/v1/queues/${queue}/messages`, { body: 'target' })).json.id;
  });

  it('random bodies made of known fields and random values, on every route', async () => {
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.integer({ min: -2, max: 50 }),
      fc.constantFrom('fifo', 'lifo', 'auto', 'manual', '2026-11-25T12:00:00Z', 'pb1.x.y.z.w'),
      // Values that name what exists, so redrive targets and subscriptions are sometimes valid.
      fc.constantFrom(queue, [{ queue }], [{ queue, filter: { k: ['v'] } }, { queue: 'missing-queue' }]),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...bodyRoutes),
        fc.dictionary(fc.constantFrom(...ALL_FIELDS, 'other'), value, { maxKeys: 4 }),
        fc.constantFrom('', 'missing-queue'),
        async ({ method, path }, body, other) => {
          // No long polls or publish waits in a property test; no renaming the queue's order.
          if (typeof body.waitSeconds === 'number') body.waitSeconds = 0;
          if (method === 'PUT') delete body.order;
          const target = path
            .replace('/v1/queues/q', `/v1/queues/${other || queue}`)
            .replace('/messages/abc', `/messages/${messageId}`)
            .replace('/v1/topics/t', `/v1/topics/${other || topic}`);
          const answer = await send(app, method, target, body);
          if (answer.status >= 400) expectErrorShape(answer);
          else expect(answer.status).toBeLessThan(300);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('random queries and ids on the GET routes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          `/v1/queues/${queue}/messages`,
          '/v1/queues',
          '/v1/topics',
          `/v1/queues/${queue}/messages/`,
          '/v1/topics/',
        ),
        fc.string({ maxLength: 40 }),
        async (base, tail) => {
          const path = base.endsWith('/')
            ? `${base}${encodeURIComponent(tail)}`
            : `${base}?cursor=${encodeURIComponent(tail)}`;
          const answer = await send(app, 'GET', path);
          if (answer.status >= 400) expectErrorShape(answer);
        },
      ),
      { numRuns: 100 },
    );
  });
});
