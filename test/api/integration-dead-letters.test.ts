/**
 * Dead letters, redrive, reschedule and deduplication end to end, through the real engine on
 * DynamoDB Local.
 */
import type { Hono } from 'hono';
import { beforeAll, describe, expect, it } from 'vitest';
import { MessageViewSchema } from '../../functions/api/schemas';
import { type ManualClock, queueName } from '../support/engine';
import { type Harness, harness, iso } from './integration-support';
import { type Answer, expectError, send } from './support';

let app: Hono;
let clock: ManualClock;
let createQueue: Harness['createQueue'];
let publish: Harness['publish'];
let receive: Harness['receive'];
let counts: Harness['counts'];

beforeAll(async () => {
  ({ app, clock, createQueue, publish, receive, counts } = await harness());
});

const reschedule = (queue: string, id: string, body: unknown) =>
  send(app, 'PATCH', `/v1/queues/${queue}/messages/${id}`, body);
const redrive = (queue: string, body?: unknown) => send(app, 'POST', `/v1/queues/${queue}/redrive`, body);

async function views(queue: string): Promise<Answer['json'][]> {
  const answer = await send(app, 'GET', `/v1/queues/${queue}/messages?limit=100`);
  expect(answer.status, answer.text).toBe(200);
  for (const message of answer.json.messages) MessageViewSchema.parse(message);
  return answer.json.messages;
}

/** A dead-letter queue and a source that dead-letters after one receive. */
async function deadLetterPair(): Promise<{ source: string; dlq: string }> {
  const dlq = await createQueue();
  const source = await createQueue({
    deadLetterQueue: dlq,
    maxReceiveCount: 1,
    visibilityTimeoutSeconds: 10,
  });
  return { source, dlq };
}

/** Publishes to `source`, receives and releases it: its one allowed receive is spent. */
async function deadLetter(source: string, body: object): Promise<string> {
  const { id } = (await publish(source, body)).json;
  const [message] = (await receive(source)).json.messages;
  expect(message.id).toBe(id);
  const released = await send(app, 'POST', `/v1/queues/${source}/release`, { receipt: message.receipt });
  expect(released.status).toBe(204);
  return id;
}

describe('dead letters over HTTP', () => {
  it('moves a message released after maxReceiveCount receives to the dead-letter queue, then redrives it', async () => {
    const { source, dlq } = await deadLetterPair();
    const publishedAt = iso(clock());
    const id = await deadLetter(source, {
      body: { order: 7 },
      priority: 3,
      groupId: 'g1',
      attributes: { kind: 'x' },
    });

    expect((await receive(source)).json.messages).toEqual([]);
    expect(await counts(source)).toMatchObject({ total: 0 });
    const [dead] = await views(dlq);
    expect(dead).toMatchObject({
      id,
      body: { order: 7 },
      priority: 3,
      groupId: 'g1',
      attributes: { kind: 'x' },
      receiveCount: 0,
      publishedAt,
      state: 'ready',
      deadLetter: { sourceQueue: source, receiveCount: 1, reason: 'maxReceiveCount' },
    });
    const viewed = await send(app, 'GET', `/v1/queues/${dlq}/messages/${id}`);
    expect(viewed.json.deadLetter).toEqual({
      sourceQueue: source,
      receiveCount: 1,
      reason: 'maxReceiveCount',
    });

    clock.advance(1_000);
    const moved = await redrive(dlq, '');
    expect(moved.status).toBe(200);
    expect(moved.json).toEqual({ moved: 1 });
    expect(await views(dlq)).toEqual([]);
    const [back] = (await receive(source)).json.messages;
    expect(back).toMatchObject({
      id,
      body: { order: 7 },
      priority: 3,
      groupId: 'g1',
      attributes: { kind: 'x' },
      receiveCount: 1,
      publishedAt,
      deadLetter: null,
    });
  });

  it('moves a message whose last lease expired, at the latest before the next receive returns', async () => {
    const { source, dlq } = await deadLetterPair();
    await publish(source, { body: 'expired' });
    await receive(source);
    clock.advance(10_000);
    expect((await receive(source)).json.messages).toEqual([]);
    const [dead] = (await receive(dlq)).json.messages;
    expect(dead).toMatchObject({
      body: 'expired',
      receiveCount: 1,
      deadLetter: { sourceQueue: source, receiveCount: 1, reason: 'maxReceiveCount' },
    });
  });
});

describe('POST /v1/queues/{queue}/redrive', () => {
  it('answers 404 QueueNotFound naming a missing target, or a missing queue', async () => {
    const { dlq } = await deadLetterPair();
    const missing = queueName('missing');
    expectError(await redrive(dlq, { to: missing }), 404, 'QueueNotFound', missing);
    expectError(await redrive(missing, {}), 404, 'QueueNotFound', missing);
    expectError(await redrive(dlq, { to: dlq }), 400, 'ValidationError', 'to');
  });

  it('without `to`, moves only dead letters, each back to its source queue', async () => {
    const dlq = await createQueue();
    const first = await createQueue({ deadLetterQueue: dlq, maxReceiveCount: 1 });
    const second = await createQueue({ deadLetterQueue: dlq, maxReceiveCount: 1 });
    await deadLetter(first, { body: 'from first' });
    await deadLetter(second, { body: 'from second' });
    await publish(dlq, { body: 'plain' });

    expect((await redrive(dlq, {})).json).toEqual({ moved: 2 });
    expect((await views(dlq)).map((view) => view.body)).toEqual(['plain']);
    expect((await views(first)).map((view) => view.body)).toEqual(['from first']);
    expect((await views(second)).map((view) => view.body)).toEqual(['from second']);
    expect((await redrive(dlq)).json).toEqual({ moved: 0 });
  });

  it('moves to `to` at most maxMessages, in order, into a full target all the same', async () => {
    const { source, dlq } = await deadLetterPair();
    for (const body of ['a', 'b', 'c']) await deadLetter(source, { body });
    const target = await createQueue({ maxMessages: 1 });
    await publish(target, { body: 'already there' });

    expect((await redrive(dlq, { to: target, maxMessages: 2 })).json).toEqual({ moved: 2 });
    expect((await views(target)).map((view) => [view.body, view.deadLetter])).toEqual([
      ['already there', null],
      ['a', null],
      ['b', null],
    ]);
    expect((await views(dlq)).map((view) => view.body)).toEqual(['c']);
    expect(await counts(source)).toMatchObject({ total: 0 });
  });

  it('leaves messages in flight where they are', async () => {
    const { source, dlq } = await deadLetterPair();
    await deadLetter(source, { body: 'held' });
    const [held] = (await receive(dlq)).json.messages;
    expect((await redrive(dlq)).json).toEqual({ moved: 0 });
    expect((await send(app, 'POST', `/v1/queues/${dlq}/ack`, { receipt: held.receipt })).status).toBe(204);
  });
});

describe('PATCH /v1/queues/{queue}/messages/{id}', () => {
  it('delays a ready message by delaySeconds counted from the request, and brings it back with a past deliverAt', async () => {
    const queue = await createQueue();
    const { id } = (await publish(queue, { body: 'r' })).json;
    const delayed = await reschedule(queue, id, { delaySeconds: 60 });
    expect(delayed.status).toBe(200);
    MessageViewSchema.parse(delayed.json);
    expect(delayed.json).toMatchObject({
      id,
      state: 'delayed',
      deliverAt: iso(clock() + 60_000),
      receiveCount: 0,
    });
    expect((await receive(queue)).json.messages).toEqual([]);
    expect(await counts(queue)).toMatchObject({ ready: 0, delayed: 1 });

    const back = await reschedule(queue, id, { deliverAt: '2001-01-01T00:00:00Z' });
    expect(back.json).toMatchObject({ state: 'ready', deliverAt: iso(clock()) });
    expect((await receive(queue, { ack: 'auto' })).json.messages[0]).toMatchObject({ id, body: 'r' });
  });

  it('sets an exact deliverAt and a priority, keeping the place in publish order', async () => {
    const queue = await createQueue();
    const ids: string[] = [];
    for (const body of ['a', 'b', 'c']) ids.push((await publish(queue, { body })).json.id);
    const [a, b, c] = ids as [string, string, string];

    const raised = await reschedule(queue, c, { priority: 9 });
    expect(raised.json).toMatchObject({ id: c, priority: 9, state: 'ready' });
    const at = iso(clock() + 5_000);
    expect((await reschedule(queue, a, { deliverAt: at, priority: 1 })).json).toMatchObject({
      state: 'delayed',
      deliverAt: at,
      priority: 1,
    });
    expect(
      (await receive(queue, { maxMessages: 10, ack: 'auto' })).json.messages.map((m: { id: string }) => m.id),
    ).toEqual([c, b]);
    clock.advance(5_000);
    expect((await receive(queue, { ack: 'auto' })).json.messages[0]).toMatchObject({ id: a, priority: 1 });
  });

  it('answers 409 Conflict for a message in flight, and 404 for one that is gone', async () => {
    const queue = await createQueue();
    const { id } = (await publish(queue, { body: 'x' })).json;
    const [message] = (await receive(queue)).json.messages;
    expectError(await reschedule(queue, id, { priority: 1 }), 409, 'Conflict');
    const view = await send(app, 'GET', `/v1/queues/${queue}/messages/${id}`);
    expect(view.json).toMatchObject({ state: 'inFlight', priority: 0 });

    await send(app, 'POST', `/v1/queues/${queue}/ack`, { receipt: message.receipt });
    expectError(await reschedule(queue, id, { priority: 1 }), 404, 'MessageNotFound');
    expectError(await reschedule(queueName('missing'), id, { priority: 1 }), 404, 'QueueNotFound');
  });

  it('refuses none of its fields, both due times, and more than 365 days ahead, changing nothing', async () => {
    const queue = await createQueue();
    const { id } = (await publish(queue, { body: 'x' })).json;
    expectError(await reschedule(queue, id, {}), 400, 'ValidationError', 'priority');
    expectError(
      await reschedule(queue, id, { delaySeconds: 1, deliverAt: iso(clock()) }),
      400,
      'ValidationError',
      'deliverAt',
    );
    expectError(
      await reschedule(queue, id, { deliverAt: iso(clock() + 365 * 86_400_000 + 1) }),
      400,
      'ValidationError',
      'deliverAt',
    );
    expectError(await reschedule(queue, id, { priority: 10 }), 400, 'ValidationError', 'priority');
    expect((await send(app, 'GET', `/v1/queues/${queue}/messages/${id}`)).json).toMatchObject({
      state: 'ready',
      priority: 0,
      deliverAt: iso(clock()),
    });
  });
});

describe('deduplication', () => {
  it('answers a duplicate publish with 200, duplicate: true and the first id, also once consumed and on a full queue', async () => {
    const queue = await createQueue({ maxMessages: 1 });
    const first = await publish(queue, { body: 'one', deduplicationId: 'order-1' });
    expect(first.status).toBe(201);
    expect(first.json.duplicate).toBe(false);

    const again = await publish(queue, { body: 'one again', deduplicationId: 'order-1' });
    expect(again.status).toBe(200);
    expect(again.json).toEqual({ id: first.json.id, deliverAt: first.json.deliverAt, duplicate: true });
    expect(await counts(queue)).toMatchObject({ total: 1 });

    await receive(queue, { ack: 'auto' });
    const consumed = await publish(queue, { body: 'later', deduplicationId: 'order-1' });
    expect(consumed.status).toBe(200);
    expect(consumed.json).toMatchObject({ id: first.json.id, duplicate: true });
    expect(await counts(queue)).toMatchObject({ total: 0 });

    const other = await createQueue();
    expect((await publish(other, { body: 'one', deduplicationId: 'order-1' })).status).toBe(201);
  });
});
