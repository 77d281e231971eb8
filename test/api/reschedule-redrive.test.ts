/**
 * PATCH /v1/queues/{queue}/messages/{id} (reschedule) and POST /v1/queues/{queue}/redrive: what
 * they refuse before the engine, what they hand the engine, and what they answer. The engine is
 * a stub; integration-dead-letters.test.ts runs the real one.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../functions/api/app';
import { MessageViewSchema } from '../../functions/api/schemas';
import { ConflictError, MessageNotFoundError, QueueNotFoundError } from '../../functions/core/errors';
import type { MessageView } from '../../functions/core/types';
import { argsOf, expectError, NOW, send, stubEngine, throwingEngine } from './support';

const clock = () => NOW;
const path = '/v1/queues/q/messages/m1';

const view: MessageView = {
  id: 'm1',
  body: 'x',
  receiveCount: 0,
  publishedAt: NOW - 1_000,
  deliverAt: NOW + 10_000,
  priority: 4,
  groupId: null,
  deadLetter: null,
  attributes: {},
  state: 'delayed',
  leaseExpiresAt: null,
};

let engine: ReturnType<typeof throwingEngine>;
beforeEach(() => {
  // Requests that do reach the throwing engine are logged as unexpected errors; keep the output clean.
  vi.spyOn(console, 'error').mockImplementation(() => {});
  engine = throwingEngine();
});

describe('PATCH /v1/queues/{queue}/messages/{id}: refused before the engine', () => {
  const cases: [string, unknown][] = [
    ['deliverAt', {}],
    ['priority', {}],
    ['priority', { priority: -1 }],
    ['priority', { priority: 10 }],
    ['priority', { priority: 1.5 }],
    ['priority', { priority: '1' }],
    ['priority', { priority: null }],
    ['delaySeconds', { delaySeconds: -1 }],
    ['delaySeconds', { delaySeconds: 31_536_001 }],
    ['delaySeconds', { delaySeconds: null }],
    ['deliverAt', { deliverAt: 'tomorrow' }],
    ['deliverAt', { deliverAt: '2026-11-26T10:00:00' }],
    ['deliverAt', { deliverAt: 1_800_000_000_000 }],
    ['deliverAt', { deliverAt: null }],
    ['deliverAt', { deliverAt: '2027-11-25T12:00:00.001Z' }],
    ['deliverAt', { deliverAt: '2026-11-26T10:00:00Z', delaySeconds: 5 }],
    ['delaySeconds', { deliverAt: '2026-11-26T10:00:00Z', delaySeconds: 0, priority: 1 }],
    ["'body'", { priority: 1, body: 'x' }],
    ["'waitSeconds'", { priority: 1, waitSeconds: 1 }],
  ];
  it.each(cases)('refuses a bad %s', async (field, body) => {
    const answer = await send(createApp({ engine, clock }), 'PATCH', path, body);
    expectError(answer, 400, 'ValidationError', field);
    expect(engine.calls).toEqual([]);
  });

  it('answers an empty body with 400 InvalidJson: it needs a field', async () => {
    const app = createApp({ engine, clock });
    expectError(await send(app, 'PATCH', path, ''), 400, 'InvalidJson');
    expectError(await send(app, 'PATCH', path, '[]'), 400, 'InvalidJson');
    expect(engine.calls).toEqual([]);
  });

  it('refuses bad names and ids in the path', async () => {
    const app = createApp({ engine, clock });
    expectError(
      await send(app, 'PATCH', '/v1/queues/a.b/messages/m1', { priority: 1 }),
      400,
      'ValidationError',
    );
    expectError(
      await send(app, 'PATCH', '/v1/queues/q/messages/a.b', { priority: 1 }),
      400,
      'ValidationError',
    );
    expect(engine.calls).toEqual([]);
  });
});

describe('PATCH /v1/queues/{queue}/messages/{id}: answers', () => {
  it('hands the engine a due time (delaySeconds counted from the request) and/or a priority', async () => {
    const engine = stubEngine({ rescheduleMessage: async () => view });
    const app = createApp({ engine, clock });
    const bodies = [
      { delaySeconds: 10 },
      { delaySeconds: 0 },
      { deliverAt: '2026-11-25T14:00:00+01:00' },
      { deliverAt: '2027-11-25T12:00:00.000Z' },
      // A past time means now: the engine places it at the time of the change.
      { deliverAt: '2000-01-01T00:00:00Z' },
      { priority: 9 },
      { priority: 0, delaySeconds: 31_536_000 },
    ];
    for (const body of bodies) expect((await send(app, 'PATCH', path, body)).status).toBe(200);
    expect(engine.calls.map((call) => call.args)).toEqual(
      [
        { deliverAt: NOW + 10_000 },
        { deliverAt: NOW },
        { deliverAt: Date.parse('2026-11-25T13:00:00Z') },
        { deliverAt: NOW + 365 * 86_400_000 },
        { deliverAt: Date.parse('2000-01-01T00:00:00Z') },
        { priority: 9 },
        { priority: 0, deliverAt: NOW + 31_536_000_000 },
      ].map((input) => ['q', 'm1', input]),
    );
  });

  it('answers 200 with the message view', async () => {
    const engine = stubEngine({ rescheduleMessage: async () => view });
    const answer = await send(createApp({ engine, clock }), 'PATCH', path, { priority: 4 });
    expect(answer.status).toBe(200);
    MessageViewSchema.parse(answer.json);
    expect(answer.json).toMatchObject({
      id: 'm1',
      state: 'delayed',
      priority: 4,
      deliverAt: '2026-11-25T12:00:10.000Z',
      leaseExpiresAt: null,
    });
  });

  it('answers 409 Conflict for an in-flight message and 404 for a missing one', async () => {
    const errors = [
      new ConflictError('in flight'),
      new MessageNotFoundError('q', 'm1'),
      new QueueNotFoundError('q'),
    ];
    const expected: [number, string][] = [
      [409, 'Conflict'],
      [404, 'MessageNotFound'],
      [404, 'QueueNotFound'],
    ];
    for (const [i, error] of errors.entries()) {
      const engine = stubEngine({
        rescheduleMessage: async () => {
          throw error;
        },
      });
      const [status, code] = expected[i] as [number, string];
      expectError(await send(createApp({ engine, clock }), 'PATCH', path, { priority: 1 }), status, code);
    }
  });
});

describe('POST /v1/queues/{queue}/redrive', () => {
  const cases: [string, unknown][] = [
    ['maxMessages', { maxMessages: 0 }],
    ['maxMessages', { maxMessages: -1 }],
    ['maxMessages', { maxMessages: 1.5 }],
    ['maxMessages', { maxMessages: '5' }],
    ['maxMessages', { maxMessages: null }],
    ['to', { to: 'bad name' }],
    ['to', { to: '' }],
    ['to', { to: 5 }],
    ['to', { to: null }],
    ['to', { to: 'x'.repeat(81) }],
    ['to', { to: 'q' }],
    ["'all'", { all: true }],
  ];
  it.each(cases)('refuses a bad %s before the engine', async (field, body) => {
    const answer = await send(createApp({ engine }), 'POST', '/v1/queues/q/redrive', body);
    expectError(answer, 400, 'ValidationError', field);
    expect(engine.calls).toEqual([]);
  });

  it('reads an empty body as {} and passes only the fields given', async () => {
    const engine = stubEngine({ redrive: async () => ({ moved: 3 }) });
    const app = createApp({ engine });
    for (const body of ['', {}, { to: 'other' }, { maxMessages: 2 }, { to: 'other', maxMessages: 1 }]) {
      const answer = await send(app, 'POST', '/v1/queues/q/redrive', body);
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({ moved: 3 });
    }
    expect((await app.request('/v1/queues/q/redrive', { method: 'POST' })).status).toBe(200);
    expect(engine.calls.map((call) => call.args)).toEqual(
      [{}, {}, { to: 'other' }, { maxMessages: 2 }, { to: 'other', maxMessages: 1 }, {}].map((options) => [
        'q',
        options,
      ]),
    );
  });

  it('answers 404 QueueNotFound naming the missing queue', async () => {
    const engine = stubEngine({
      redrive: async (_queue, options) => {
        throw new QueueNotFoundError(options.to ?? 'q');
      },
    });
    const answer = await send(createApp({ engine }), 'POST', '/v1/queues/q/redrive', { to: 'gone' });
    expectError(answer, 404, 'QueueNotFound', "'gone'");
    expect(argsOf(engine, 0)).toEqual(['q', { to: 'gone' }]);
  });
});
