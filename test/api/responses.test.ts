/**
 * What the app answers for what the engine returns: status codes, the contract's shapes
 * (ISO-8601 UTC timestamps with milliseconds, nulls, receipts only with manual ack), and what it
 * hands the engine. The engine here is a stub; integration.test.ts runs the real one.
 */
import { describe, expect, it } from 'vitest';
import { createApp } from '../../functions/api/app';
import {
  BrowseResponse,
  DeliveredMessageSchema,
  MessageViewSchema,
  PublishBatchResponse,
  QueueListSchema,
  QueueSchema,
  QueueWithCountsSchema,
} from '../../functions/api/schemas';
import { PayloadTooLargeError, QueueFullError, ValidationError } from '../../functions/core/errors';
import type { DeliveredMessage, MessageView, PublishInput, Queue } from '../../functions/core/types';
import { argsOf, NOW, send, stubEngine } from './support';

const T = (iso: string) => Date.parse(iso);

const queue: Queue = {
  name: 'orders',
  order: 'fifo',
  visibilityTimeoutSeconds: 30,
  maxReceiveCount: null,
  deadLetterQueue: null,
  delaySeconds: 0,
  retentionSeconds: 345_600,
  maxMessages: 0,
  deduplicationWindowSeconds: 300,
  shards: 1,
  rateLimit: null,
  groupLimits: null,
  createdAt: T('2026-11-24T19:00:00Z'),
  paused: false,
};

const delivered: DeliveredMessage = {
  id: 'm1',
  body: { hello: 'world' },
  receipt: 'pb1.receipt',
  receiveCount: 1,
  publishedAt: T('2026-11-25T11:00:00.5Z'),
  deliverAt: T('2026-11-25T11:00:00.5Z'),
  priority: 3,
  groupId: null,
  deadLetter: null,
  attributes: {},
};

const view: MessageView = {
  id: 'm2',
  body: [1, 2],
  receiveCount: 2,
  publishedAt: T('2026-11-25T11:00:00Z'),
  deliverAt: T('2026-11-25T11:00:01Z'),
  priority: 0,
  groupId: 'g',
  deadLetter: { sourceQueue: 'src', receiveCount: 5, reason: 'maxReceiveCount' },
  attributes: { k: 'v' },
  state: 'inFlight',
  leaseExpiresAt: T('2026-11-25T12:00:30Z'),
};

const clock = () => NOW;

describe('queues', () => {
  it('answers 201 with the queue when created, 200 when it existed', async () => {
    for (const created of [true, false]) {
      const engine = stubEngine({ putQueue: async () => ({ queue, created }) });
      const answer = await send(createApp({ engine }), 'PUT', '/v1/queues/orders', {
        visibilityTimeoutSeconds: 30,
      });
      expect(answer.status).toBe(created ? 201 : 200);
      expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(answer.json).toEqual({ ...queue, createdAt: '2026-11-24T19:00:00.000Z' });
      expect(Object.keys(answer.json)).toEqual([
        'name',
        'order',
        'visibilityTimeoutSeconds',
        'maxReceiveCount',
        'deadLetterQueue',
        'delaySeconds',
        'retentionSeconds',
        'maxMessages',
        'deduplicationWindowSeconds',
        'shards',
        'rateLimit',
        'groupLimits',
        'paused',
        'createdAt',
      ]);
      QueueSchema.parse(answer.json);
      expect(engine.calls).toEqual([
        { method: 'putQueue', args: ['orders', { visibilityTimeoutSeconds: 30 }] },
      ]);
    }
  });

  it('passes only the fields given, so the rest keep their values; an empty body is {}', async () => {
    const engine = stubEngine({ putQueue: async () => ({ queue, created: false }) });
    const app = createApp({ engine });
    await send(app, 'PUT', '/v1/queues/orders', '');
    await send(app, 'PUT', '/v1/queues/orders', {
      order: 'lifo',
      maxReceiveCount: 5,
      deadLetterQueue: 'dlq',
      delaySeconds: 0,
      retentionSeconds: 60,
      maxMessages: 1000,
      deduplicationWindowSeconds: 0,
    });
    await send(app, 'PUT', '/v1/queues/orders', { maxReceiveCount: null, deadLetterQueue: null });
    expect(engine.calls.map((call) => call.args[1])).toEqual([
      {},
      {
        order: 'lifo',
        maxReceiveCount: 5,
        deadLetterQueue: 'dlq',
        delaySeconds: 0,
        retentionSeconds: 60,
        maxMessages: 1000,
        deduplicationWindowSeconds: 0,
      },
      { maxReceiveCount: null, deadLetterQueue: null },
    ]);
  });

  it('answers a queue with its counts, saying approximate only when it is', async () => {
    for (const approximate of [undefined, true]) {
      const counts = { ready: 1, delayed: 2, inFlight: 3, total: 6, ...(approximate ? { approximate } : {}) };
      const engine = stubEngine({ getQueue: async () => ({ ...queue, counts }) });
      const answer = await send(createApp({ engine }), 'GET', '/v1/queues/orders');
      expect(answer.status).toBe(200);
      expect(answer.json.counts).toEqual(counts);
      QueueWithCountsSchema.parse(answer.json);
    }
  });

  it('lists queues with limit 100 by default, passing limit and cursor on', async () => {
    const engine = stubEngine({ listQueues: async () => ({ items: [queue], cursor: 'next' }) });
    const app = createApp({ engine });
    const answer = await send(app, 'GET', '/v1/queues');
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      queues: [{ ...queue, createdAt: '2026-11-24T19:00:00.000Z' }],
      cursor: 'next',
    });
    QueueListSchema.parse(answer.json);
    await send(app, 'GET', '/v1/queues?limit=7&cursor=abc');
    await send(app, 'GET', '/v1/queues?limit=100');
    await send(app, 'GET', '/v1/queues?limit=1');
    expect(engine.calls.map((call) => call.args[0])).toEqual([
      { limit: 100 },
      { limit: 7, cursor: 'abc' },
      { limit: 100 },
      { limit: 1 },
    ]);
  });

  it('answers 204 with no body to delete, purge, pause and resume', async () => {
    const engine = stubEngine({
      deleteQueue: async () => {},
      purgeQueue: async () => {},
      pauseQueue: async () => {},
      resumeQueue: async () => {},
    });
    const app = createApp({ engine });
    for (const [method, path, body] of [
      ['DELETE', '/v1/queues/orders', undefined],
      ['POST', '/v1/queues/orders/purge', undefined],
      ['POST', '/v1/queues/orders/purge', ''],
      ['POST', '/v1/queues/orders/purge', {}],
      ['POST', '/v1/queues/orders/pause', undefined],
      ['POST', '/v1/queues/orders/resume', {}],
    ] as const) {
      const answer = await send(app, method, path, body);
      expect(answer.status).toBe(204);
      expect(answer.text).toBe('');
    }
    expect(engine.calls.map((call) => [call.method, ...call.args])).toEqual([
      ['deleteQueue', 'orders'],
      ['purgeQueue', 'orders'],
      ['purgeQueue', 'orders'],
      ['purgeQueue', 'orders'],
      ['pauseQueue', 'orders'],
      ['resumeQueue', 'orders'],
    ]);
  });
});

describe('publish', () => {
  const result = { id: 'm1', deliverAt: T('2026-11-25T12:00:05Z'), duplicate: false };

  it('answers 201 {id, deliverAt, duplicate:false}, or 200 for a duplicate', async () => {
    for (const duplicate of [false, true]) {
      const engine = stubEngine({ publish: async () => ({ ...result, duplicate }) });
      const answer = await send(createApp({ engine, clock }), 'POST', '/v1/queues/q/messages', { body: 'x' });
      expect(answer.status).toBe(duplicate ? 200 : 201);
      expect(answer.json).toEqual({ id: 'm1', deliverAt: '2026-11-25T12:00:05.000Z', duplicate });
    }
  });

  it('hands the engine every field; delaySeconds becomes a deliverAt counted from the request', async () => {
    const engine = stubEngine({ publish: async () => result });
    const app = createApp({ engine, clock });
    await send(app, 'POST', '/v1/queues/q/messages', {
      body: { a: [1, 'two', null, true] },
      delaySeconds: 5,
      priority: 9,
      groupId: 'g'.repeat(128),
      deduplicationId: 'd',
      attributes: { 'a.b_c-D': '', k2: 'é' },
      waitSeconds: 20,
    });
    await send(app, 'POST', '/v1/queues/q/messages', { body: 0, delaySeconds: 0 });
    await send(app, 'POST', '/v1/queues/q/messages', { body: false });
    await send(app, 'POST', '/v1/queues/q/messages', { body: '', delaySeconds: 31_536_000 });
    const [first, second, third, fourth] = [
      argsOf(engine, 0),
      argsOf(engine, 1),
      argsOf(engine, 2),
      argsOf(engine, 3),
    ];
    expect(first.slice(0, 2)).toEqual([
      'q',
      {
        body: { a: [1, 'two', null, true] },
        deliverAt: NOW + 5_000,
        priority: 9,
        groupId: 'g'.repeat(128),
        deduplicationId: 'd',
        attributes: { 'a.b_c-D': '', k2: 'é' },
      } satisfies PublishInput,
    ]);
    expect((first[2] as { waitSeconds?: number }).waitSeconds).toBe(20);
    // An explicit delaySeconds: 0 is an explicit due time (it overrides the queue's default delay).
    expect(second[1]).toEqual({ body: 0, deliverAt: NOW });
    expect(third[1]).toEqual({ body: false });
    expect((third[2] as { waitSeconds?: number }).waitSeconds).toBeUndefined();
    expect(fourth[1]).toEqual({ body: '', deliverAt: NOW + 31_536_000_000 });
  });

  it('accepts deliverAt in any ISO-8601 form with an offset, up to 365 days ahead', async () => {
    const engine = stubEngine({ publish: async () => result });
    const app = createApp({ engine, clock });
    const cases: [string, number][] = [
      ['2026-11-25T13:00:00Z', T('2026-11-25T13:00:00.000Z')],
      ['2026-11-25T13:00:00.123Z', T('2026-11-25T13:00:00.123Z')],
      ['2026-11-25T13:00:00.123456789Z', T('2026-11-25T13:00:00.123Z')],
      ['2026-11-25T13:00:00.1Z', T('2026-11-25T13:00:00.100Z')],
      ['2026-11-25T14:00:00+01:00', T('2026-11-25T13:00:00.000Z')],
      ['2026-11-25T08:30:00-04:30', T('2026-11-25T13:00:00.000Z')],
      ['2026-11-25T13:00:00+0000', T('2026-11-25T13:00:00.000Z')],
      ['2026-11-25T13:00:00,5Z', T('2026-11-25T13:00:00.500Z')],
      ['2026-11-25T13:00Z', T('2026-11-25T13:00:00.000Z')],
      ['20261125T130000Z', T('2026-11-25T13:00:00.000Z')],
      ['2027-11-25T12:00:00.000Z', NOW + 365 * 86_400_000],
      // A past time means now: the engine places it at the time of the publish.
      ['2000-01-01T00:00:00Z', T('2000-01-01T00:00:00Z')],
    ];
    for (const [deliverAt] of cases) {
      const answer = await send(app, 'POST', '/v1/queues/q/messages', { body: 1, deliverAt });
      expect(answer.status, deliverAt).toBe(201);
    }
    expect(engine.calls.map((call) => (call.args[1] as PublishInput).deliverAt)).toEqual(
      cases.map(([, ms]) => ms),
    );
  });

  it('keeps an attribute named __proto__ as an attribute', async () => {
    const engine = stubEngine({ publish: async () => result });
    await send(
      createApp({ engine, clock }),
      'POST',
      '/v1/queues/q/messages',
      '{"body":1,"attributes":{"__proto__":"x"}}',
    );
    const input = argsOf(engine, 0)[1] as PublishInput;
    expect(Object.entries(input.attributes ?? {})).toEqual([['__proto__', 'x']]);
  });

  it('answers a QueueFull with 429 and a Retry-After in whole seconds', async () => {
    const engine = stubEngine({
      publish: async () => {
        throw new QueueFullError('q', 2.4);
      },
    });
    const answer = await send(createApp({ engine, clock }), 'POST', '/v1/queues/q/messages', { body: 1 });
    expect(answer.status).toBe(429);
    expect(answer.json.error.code).toBe('QueueFull');
    expect(answer.headers.get('retry-after')).toBe('3');
  });
});

describe('publish batch', () => {
  it('merges per-entry faults with the engine results, in input order', async () => {
    const engine = stubEngine({
      publishBatch: async (_queue, inputs) =>
        inputs.map((input, i) =>
          input.body === 'full'
            ? { ok: false as const, error: new QueueFullError('q') }
            : { ok: true as const, value: { id: `id${i}`, deliverAt: NOW, duplicate: input.body === 'dup' } },
        ),
    });
    const answer = await send(createApp({ engine, clock }), 'POST', '/v1/queues/q/messages/batch', {
      messages: [
        { body: 'a', waitSeconds: 3 },
        { body: null },
        { body: 'full' },
        7,
        { body: 'x'.repeat(262_141) },
        { body: 'dup', deduplicationId: 'd', waitSeconds: 5 },
        { body: 'b', attributes: { k: 1 } },
        { body: 'c', nope: true },
      ],
    });
    expect(answer.status).toBe(200);
    PublishBatchResponse.parse(answer.json);
    const at = '2026-11-25T12:00:00.000Z';
    const codes = answer.json.results.map((r: { error?: { code: string } }) => r.error?.code ?? 'ok');
    expect(codes).toEqual([
      'ok',
      'ValidationError',
      'QueueFull',
      'ValidationError',
      'PayloadTooLarge',
      'ok',
      'ValidationError',
      'ValidationError',
    ]);
    expect(answer.json.results[0]).toEqual({ id: 'id0', deliverAt: at, duplicate: false });
    expect(answer.json.results[5]).toEqual({ id: 'id2', deliverAt: at, duplicate: true });
    expect(answer.json.results[1].error.message).toContain('messages[1].body');
    expect(answer.json.results[3].error.message).toContain('messages[3]');
    expect(answer.json.results[6].error.message).toContain('messages[6].attributes.k');
    expect(answer.json.results[7].error.message).toContain('messages[7].nope');
    // Only the valid entries reach the engine, in order, with the longest wait asked for.
    expect(engine.calls).toHaveLength(1);
    expect((argsOf(engine, 0)[1] as PublishInput[]).map((input) => input.body)).toEqual(['a', 'full', 'dup']);
    expect((argsOf(engine, 0)[2] as { waitSeconds?: number }).waitSeconds).toBe(5);
  });

  it('still asks the engine when no entry is valid, so a missing queue fails the whole request', async () => {
    const { QueueNotFoundError } = await import('../../functions/core/errors');
    const engine = stubEngine({
      publishBatch: async (queueName) => {
        throw new QueueNotFoundError(queueName);
      },
    });
    const answer = await send(createApp({ engine, clock }), 'POST', '/v1/queues/q/messages/batch', {
      messages: [{ body: null }],
    });
    expect(answer.status).toBe(404);
    expect(answer.json.error.code).toBe('QueueNotFound');
    expect(argsOf(engine, 0)[1]).toEqual([]);
  });

  it("answers an engine fault inside one entry as that entry's error; an unknown one as InternalError", async () => {
    const engine = stubEngine({
      publishBatch: async () => [
        { ok: false, error: new PayloadTooLargeError('too big') },
        { ok: false, error: new ValidationError('groupId: not on a lifo queue') },
        { ok: false, error: new TypeError('boom at secret place') },
      ],
    });
    const logged: string[] = [];
    const original = console.error;
    console.error = (line: string) => logged.push(line);
    try {
      const answer = await send(createApp({ engine, clock }), 'POST', '/v1/queues/q/messages/batch', {
        messages: [{ body: 1 }, { body: 2, groupId: 'g' }, { body: 3 }],
      });
      expect(answer.json.results.map((r: { error: { code: string } }) => r.error.code)).toEqual([
        'PayloadTooLarge',
        'ValidationError',
        'InternalError',
      ]);
      expect(answer.text).not.toContain('secret');
      expect(logged).toHaveLength(1);
    } finally {
      console.error = original;
    }
  });
});

describe('receive', () => {
  it('answers deliveries with receipts for manual ack, and without for auto ack', async () => {
    const engine = stubEngine({ receive: async () => [delivered] });
    const app = createApp({ engine });
    const manual = await send(app, 'POST', '/v1/queues/q/receive', '');
    expect(manual.status).toBe(200);
    expect(manual.json).toEqual({
      messages: [
        {
          id: 'm1',
          body: { hello: 'world' },
          receipt: 'pb1.receipt',
          receiveCount: 1,
          publishedAt: '2026-11-25T11:00:00.500Z',
          deliverAt: '2026-11-25T11:00:00.500Z',
          priority: 3,
          groupId: null,
          deadLetter: null,
          attributes: {},
        },
      ],
    });
    DeliveredMessageSchema.parse(manual.json.messages[0]);
    const auto = await send(app, 'POST', '/v1/queues/q/receive', { ack: 'auto' });
    expect(auto.json.messages[0]).not.toHaveProperty('receipt');
    expect(engine.calls.map((call) => call.args[1])).toMatchObject([
      { maxMessages: 1, waitSeconds: 0, visibilityTimeoutSeconds: undefined, ack: 'manual' },
      { maxMessages: 1, waitSeconds: 0, ack: 'auto' },
    ]);
  });

  it('passes maxMessages, waitSeconds, visibilityTimeoutSeconds and a signal for the long poll', async () => {
    const engine = stubEngine({ receive: async () => [] });
    const answer = await send(createApp({ engine }), 'POST', '/v1/queues/q/receive', {
      maxMessages: 10,
      waitSeconds: 20,
      visibilityTimeoutSeconds: 0,
      ack: 'manual',
    });
    expect(answer.json).toEqual({ messages: [] });
    const options = argsOf(engine, 0)[1] as Record<string, unknown>;
    expect(options).toMatchObject({
      maxMessages: 10,
      waitSeconds: 20,
      visibilityTimeoutSeconds: 0,
      ack: 'manual',
    });
    expect(options.signal).toBeInstanceOf(AbortSignal);
  });
});

describe('ack, release, extend', () => {
  it('acks one receipt with 204', async () => {
    const engine = stubEngine({ ack: async () => {} });
    const answer = await send(createApp({ engine }), 'POST', '/v1/queues/q/ack', { receipt: 'r1' });
    expect(answer.status).toBe(204);
    expect(answer.text).toBe('');
    expect(engine.calls).toEqual([{ method: 'ack', args: ['q', 'r1'] }]);
  });

  it('acks a batch with 200 and one result per receipt', async () => {
    const { ReceiptExpiredError, InvalidReceiptError } = await import('../../functions/core/errors');
    const engine = stubEngine({
      ackBatch: async () => [
        { ok: true, value: undefined },
        { ok: false, error: new ReceiptExpiredError() },
        { ok: false, error: new InvalidReceiptError() },
      ],
    });
    const answer = await send(createApp({ engine }), 'POST', '/v1/queues/q/ack', {
      receipts: ['a', 'b', 'c'],
    });
    expect(answer.status).toBe(200);
    expect(answer.json.results[0]).toEqual({ receipt: 'a', ok: true });
    expect(answer.json.results[1]).toMatchObject({ receipt: 'b', error: { code: 'ReceiptExpired' } });
    expect(answer.json.results[2]).toMatchObject({ receipt: 'c', error: { code: 'InvalidReceipt' } });
  });

  it('releases with 204, delaySeconds 0 by default', async () => {
    const engine = stubEngine({ release: async () => {} });
    const app = createApp({ engine });
    expect((await send(app, 'POST', '/v1/queues/q/release', { receipt: 'r' })).status).toBe(204);
    expect(
      (await send(app, 'POST', '/v1/queues/q/release', { receipt: 'r', delaySeconds: 43_200 })).status,
    ).toBe(204);
    expect(engine.calls.map((call) => call.args)).toEqual([
      ['q', 'r', 0],
      ['q', 'r', 43_200],
    ]);
  });

  it('extends with 200 {leaseExpiresAt}', async () => {
    const engine = stubEngine({ extend: async () => ({ leaseExpiresAt: T('2026-11-25T12:01:00Z') }) });
    const answer = await send(createApp({ engine }), 'POST', '/v1/queues/q/extend', {
      receipt: 'r',
      visibilityTimeoutSeconds: 60,
    });
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ leaseExpiresAt: '2026-11-25T12:01:00.000Z' });
    expect(engine.calls[0]?.args).toEqual(['q', 'r', 60]);
  });
});

describe('browse and messages by id', () => {
  it('browses with state=all and limit=20 by default, passing the cursor through', async () => {
    const engine = stubEngine({ browse: async () => ({ items: [view], cursor: null }) });
    const app = createApp({ engine });
    const answer = await send(app, 'GET', '/v1/queues/q/messages');
    expect(answer.status).toBe(200);
    BrowseResponse.parse(answer.json);
    expect(answer.json.cursor).toBeNull();
    expect(answer.json.messages[0]).toEqual({
      id: 'm2',
      body: [1, 2],
      receiveCount: 2,
      publishedAt: '2026-11-25T11:00:00.000Z',
      deliverAt: '2026-11-25T11:00:01.000Z',
      priority: 0,
      groupId: 'g',
      deadLetter: { sourceQueue: 'src', receiveCount: 5, reason: 'maxReceiveCount' },
      attributes: { k: 'v' },
      state: 'inFlight',
      leaseExpiresAt: '2026-11-25T12:00:30.000Z',
    });
    for (const state of ['ready', 'delayed', 'inFlight', 'all']) {
      await send(app, 'GET', `/v1/queues/q/messages?state=${state}&limit=100&cursor=c1`);
    }
    expect(engine.calls.map((call) => call.args[1])).toEqual([
      { state: 'all', limit: 20 },
      { state: 'ready', limit: 100, cursor: 'c1' },
      { state: 'delayed', limit: 100, cursor: 'c1' },
      { state: 'inFlight', limit: 100, cursor: 'c1' },
      { state: 'all', limit: 100, cursor: 'c1' },
    ]);
  });

  it('answers a bad cursor as the engine judges it: 400 ValidationError', async () => {
    const engine = stubEngine({
      browse: async () => {
        throw new ValidationError('cursor: not a cursor issued by this server.');
      },
    });
    const answer = await send(createApp({ engine }), 'GET', '/v1/queues/q/messages?cursor=forged');
    expect(answer.status).toBe(400);
    expect(answer.json.error.message).toContain('cursor');
  });

  it('gets one message view; leaseExpiresAt is null unless in flight', async () => {
    const engine = stubEngine({ getMessage: async () => ({ ...view, state: 'ready', leaseExpiresAt: 123 }) });
    const answer = await send(createApp({ engine }), 'GET', '/v1/queues/q/messages/m2');
    expect(answer.status).toBe(200);
    expect(answer.json.leaseExpiresAt).toBeNull();
    MessageViewSchema.parse(answer.json);
    expect(engine.calls[0]?.args).toEqual(['q', 'm2']);
  });

  it('deletes one message with 204', async () => {
    const engine = stubEngine({ deleteMessage: async () => {} });
    const answer = await send(createApp({ engine }), 'DELETE', '/v1/queues/q/messages/m2');
    expect(answer.status).toBe(204);
    expect(engine.calls[0]?.args).toEqual(['q', 'm2']);
  });
});

describe('HEAD', () => {
  it('answers HEAD like GET, without a body', async () => {
    const engine = stubEngine({
      getQueue: async () => ({ ...queue, counts: { ready: 0, delayed: 0, inFlight: 0, total: 0 } }),
    });
    const response = await createApp({ engine }).request('/v1/queues/orders', { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
  });
});
