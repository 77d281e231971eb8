/**
 * The operator routes the console uses: GET /v1/queues/{q}/rates (an in-process meter, no store
 * read), GET /v1/consumers (the local runtime's, injected), and POST
 * /v1/queues/{q}/messages/{id}/redrive (one dead letter back), the last on the real engine.
 */
import type { Hono } from 'hono';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../functions/api/app';
import { ConsumersResponse, RatesResponse } from '../../functions/api/operations-schemas';
import { MAX_METERED_QUEUES, RATE_WINDOW_SECONDS, RateMeter } from '../../functions/api/rates';
import type { ConsumerStatus } from '../../functions/api/routes/operations';
import type { ManualClock } from '../support/engine';
import { type Harness, harness } from './integration-support';
import { expectError, NOW, send, stubEngine, throwingEngine } from './support';

beforeEach(() => {
  vi.spyOn(console, 'error').mockImplementation(() => {});
});

describe('RateMeter', () => {
  it('answers events per second over the last window, and totals since it started', () => {
    let now = NOW;
    const meter = new RateMeter(() => now);
    meter.record('q', 'published', 20);
    now += 5_000;
    meter.record('q', 'published', 10);
    meter.record('q', 'acked', 4);
    expect(meter.rates('q')).toMatchObject({
      windowSeconds: RATE_WINDOW_SECONDS,
      since: NOW,
      published: { perSecond: 30 / RATE_WINDOW_SECONDS, total: 30 },
      delivered: { perSecond: 0, total: 0 },
      acked: { perSecond: 4 / RATE_WINDOW_SECONDS, total: 4 },
    });
    // The first 20 leave the window; the totals stay.
    now += (RATE_WINDOW_SECONDS - 4) * 1_000;
    expect(meter.rates('q').published).toEqual({ perSecond: 10 / RATE_WINDOW_SECONDS, total: 30 });
    // A bucket reused a window later starts from zero.
    now += RATE_WINDOW_SECONDS * 1_000;
    meter.record('q', 'published', 1);
    expect(meter.rates('q').published).toEqual({ perSecond: 1 / RATE_WINDOW_SECONDS, total: 31 });
    expect(meter.rates('other').published).toEqual({ perSecond: 0, total: 0 });
  });

  it('remembers a bounded number of queues, forgetting the least recently counted', () => {
    const meter = new RateMeter(() => NOW);
    meter.record('first', 'published', 1);
    meter.record('second', 'published', 1);
    for (let i = 0; i < MAX_METERED_QUEUES - 2; i++) meter.record(`q${i}`, 'published', 1);
    meter.record('first', 'published', 1); // touched: now the newest
    meter.record('one-more', 'published', 1);
    expect(meter.rates('second').published.total).toBe(0);
    expect(meter.rates('first').published.total).toBe(2);
    expect(meter.rates('one-more').published.total).toBe(1);
  });
});

describe('GET /v1/queues/{queue}/rates', () => {
  const message = (id: string) => ({
    id,
    body: 'x',
    receipt: `r-${id}`,
    receiveCount: 1,
    publishedAt: NOW,
    deliverAt: NOW,
    priority: 4,
    groupId: null,
    deadLetter: null,
    attributes: {},
  });

  it('counts what the app’s publishes, receives and acks did, and reads nothing from the store', async () => {
    let duplicate = false;
    const engine = stubEngine({
      publish: async () => ({ id: 'm1', deliverAt: NOW, duplicate }),
      publishBatch: async () => [
        { ok: true, value: { id: 'a', deliverAt: NOW, duplicate: false } },
        { ok: true, value: { id: 'b', deliverAt: NOW, duplicate: true } },
        { ok: false, error: new Error('entry failed') },
      ],
      publishToTopic: async () => ({
        id: 't1',
        deliveries: [
          { queue: 'q', id: 't1q' },
          { queue: 'other', id: 't1o', duplicate: true },
        ],
      }),
      receive: async () => [message('m1'), message('m2')],
      ack: async () => undefined,
      ackBatch: async () => [
        { ok: true, value: undefined },
        { ok: false, error: new Error('gone') },
      ],
    });
    const app = createApp({ engine, clock: () => NOW, rates: new RateMeter(() => NOW) });
    expect((await send(app, 'POST', '/v1/queues/q/messages', { body: 1 })).status).toBe(201);
    duplicate = true;
    expect((await send(app, 'POST', '/v1/queues/q/messages', { body: 1 })).status).toBe(200);
    await send(app, 'POST', '/v1/queues/q/messages/batch', {
      messages: [{ body: 1 }, { body: 2 }, { body: 3 }],
    });
    await send(app, 'POST', '/v1/topics/t/messages', { body: 1 });
    await send(app, 'POST', '/v1/queues/q/receive', { maxMessages: 2 });
    await send(app, 'POST', '/v1/queues/q/receive', { maxMessages: 2, ack: 'auto' });
    await send(app, 'POST', '/v1/queues/q/ack', { receipt: 'r-m1' });
    await send(app, 'POST', '/v1/queues/q/ack', { receipts: ['r-m1', 'r-m2'] });
    const calls = engine.calls.length;

    const answer = await send(app, 'GET', '/v1/queues/q/rates');
    expect(answer.status).toBe(200);
    expect(RatesResponse.parse(answer.json)).toEqual({
      queue: 'q',
      scope: 'process',
      windowSeconds: RATE_WINDOW_SECONDS,
      since: new Date(NOW).toISOString(),
      // 1 publish + 1 of the batch + 1 topic copy; the duplicates and the failed entry are not counted.
      published: { perSecond: 3 / RATE_WINDOW_SECONDS, total: 3 },
      delivered: { perSecond: 4 / RATE_WINDOW_SECONDS, total: 4 },
      // 2 auto-acked deliveries + 1 ack + 1 of the batch.
      acked: { perSecond: 4 / RATE_WINDOW_SECONDS, total: 4 },
    });
    expect(engine.calls.length).toBe(calls);
    expect((await send(app, 'GET', '/v1/queues/other/rates')).json.published).toEqual({
      perSecond: 0,
      total: 0,
    });
  });

  it('refuses a bad name and a query, before anything', async () => {
    const engine = throwingEngine();
    const app = createApp({ engine });
    expectError(await send(app, 'GET', '/v1/queues/no%20good/rates'), 400, 'ValidationError', 'queue');
    expectError(await send(app, 'GET', '/v1/queues/q/rates?window=5'), 400, 'ValidationError', 'window');
    expectError(await send(app, 'POST', '/v1/queues/q/rates'), 405, 'MethodNotAllowed');
    expect(engine.calls).toEqual([]);
  });
});

describe('GET /v1/consumers', () => {
  it('lists the consumers the process runs, times in ISO-8601', async () => {
    const consumer: ConsumerStatus = {
      queue: 'orders',
      handler: './src/orders.ts#handler',
      batchSize: 5,
      concurrency: 2,
      visibilityTimeoutSeconds: 30,
      state: 'failing',
      batchesInFlight: 0,
      handled: 12,
      failed: 3,
      lastBatchAt: NOW,
      lastError: { at: NOW - 1_000, message: 'Error: boom' },
    };
    const app = createApp({ engine: throwingEngine(), consumers: () => [consumer] });
    const answer = await send(app, 'GET', '/v1/consumers');
    expect(answer.status).toBe(200);
    expect(ConsumersResponse.parse(answer.json)).toEqual({
      consumers: [
        {
          ...consumer,
          lastBatchAt: new Date(NOW).toISOString(),
          lastError: { at: new Date(NOW - 1_000).toISOString(), message: 'Error: boom' },
        },
      ],
    });
  });

  it('answers an empty list where no consumer runs in the process (the deployed api function)', async () => {
    const answer = await send(createApp({ engine: throwingEngine() }), 'GET', '/v1/consumers');
    expect(answer.json).toEqual({ consumers: [] });
    expectError(
      await send(createApp({ engine: throwingEngine() }), 'GET', '/v1/consumers?queue=q'),
      400,
      'ValidationError',
    );
  });
});

describe('POST /v1/queues/{queue}/messages/{id}/redrive', () => {
  let app: Hono;
  let clock: ManualClock;
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
    ({ app, clock } = h);
  });

  /** A source queue that dead-letters after one receive, and one message dead-lettered into it. */
  async function deadLettered(body: object = { body: { job: 1 }, priority: 6, attributes: { kind: 'x' } }) {
    const dlq = await h.createQueue();
    const source = await h.createQueue({ deadLetterQueue: dlq, maxReceiveCount: 1 });
    const { id } = (await h.publish(source, body)).json;
    const [message] = (await h.receive(source)).json.messages;
    await send(app, 'POST', `/v1/queues/${source}/release`, { receipt: message.receipt });
    expect(await h.counts(dlq)).toMatchObject({ total: 1 });
    return { dlq, source, id: id as string };
  }
  const redrive = (queue: string, id: string, body?: unknown) =>
    send(app, 'POST', `/v1/queues/${queue}/messages/${id}/redrive`, body);

  it('moves that one message back to its source queue as a fresh message, and leaves the others', async () => {
    const { dlq, source, id } = await deadLettered();
    const other = await deadLetteredAgain(source);
    const answer = await redrive(dlq, id);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json).toEqual({ queue: source, id });
    const moved = await send(app, 'GET', `/v1/queues/${source}/messages/${id}`);
    expect(moved.json).toMatchObject({
      id,
      body: { job: 1 },
      priority: 6,
      attributes: { kind: 'x' },
      receiveCount: 0,
      deadLetter: null,
      state: 'ready',
    });
    expectError(await send(app, 'GET', `/v1/queues/${dlq}/messages/${id}`), 404, 'MessageNotFound');
    expect((await send(app, 'GET', `/v1/queues/${dlq}/messages/${other}`)).status).toBe(200);
    // Again: it is gone from here.
    expectError(await redrive(dlq, id), 404, 'MessageNotFound');
  });

  it('moves to `to` when given, also a message that is not a dead letter', async () => {
    const { dlq, id } = await deadLettered();
    const elsewhere = await h.createQueue();
    expect((await redrive(dlq, id, { to: elsewhere })).json).toEqual({ queue: elsewhere, id });
    const plain = (await h.publish(elsewhere, { body: 'plain' })).json.id;
    expectError(await redrive(elsewhere, plain), 409, 'Conflict', 'not a dead letter');
    expect((await redrive(elsewhere, plain, { to: dlq })).json).toEqual({ queue: dlq, id: plain });
  });

  it('refuses bad input, an unknown target, the queue itself and an in-flight message, moving nothing', async () => {
    const { dlq, source, id } = await deadLettered();
    expectError(await redrive(dlq, id, { to: 'no such' }), 400, 'ValidationError', 'to');
    expectError(await redrive(dlq, id, { too: source }), 400, 'ValidationError', 'too');
    expectError(await redrive(dlq, id, '[]'), 400, 'InvalidJson');
    expectError(await redrive(dlq, id, { to: dlq }), 400, 'ValidationError', 'itself');
    expectError(await redrive(dlq, 'not*an*id'), 400, 'ValidationError');
    expectError(await redrive(dlq, id, { to: 'missing-queue-x' }), 404, 'QueueNotFound', 'missing-queue-x');
    expectError(await redrive('missing-queue-y', id), 404, 'QueueNotFound');
    expectError(await redrive(dlq, 'nosuchmessage'), 404, 'MessageNotFound');
    const [held] = (await h.receive(dlq)).json.messages;
    expect(held.id).toBe(id);
    expectError(await redrive(dlq, id), 409, 'Conflict', 'in flight');
    expect(await h.counts(dlq)).toMatchObject({ inFlight: 1, total: 1 });
    expect(await h.counts(source)).toMatchObject({ total: 0 });
    // Its lease over, it moves.
    clock.advance(31_000);
    expect((await redrive(dlq, id)).status).toBe(200);
  });

  /** One more message dead-lettered from `source` (into the same dead-letter queue). */
  async function deadLetteredAgain(source: string): Promise<string> {
    const { id } = (await h.publish(source, { body: 'second' })).json;
    const [message] = (await h.receive(source)).json.messages;
    await send(app, 'POST', `/v1/queues/${source}/release`, { receipt: message.receipt });
    return id;
  }
});
