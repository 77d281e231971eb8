/**
 * The app on the real engine on DynamoDB Local: every route end to end, with a clock the test
 * moves, and a fresh queue per test.
 */
import type { Hono } from 'hono';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BrowseResponse,
  MessageViewSchema,
  QueueListSchema,
  QueueSchema,
  QueueWithCountsSchema,
} from '../../functions/api/schemas';
import { type ManualClock, queueName } from '../support/engine';
import { type Harness, harness, iso } from './integration-support';
import { type Answer, expectError, send } from './support';

let app: Hono;
let clock: ManualClock;
let createQueue: Harness['createQueue'];
let publish: Harness['publish'];
let receive: Harness['receive'];

beforeAll(async () => {
  ({ app, clock, createQueue, publish, receive } = await harness());
});

describe('queues', () => {
  it('creates with defaults (201), answers 200 when it exists, and keeps fields left out', async () => {
    const name = queueName();
    const created = await send(app, 'PUT', `/v1/queues/${name}`, '');
    expect(created.status).toBe(201);
    expect(created.json).toEqual({
      name,
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
      paused: false,
      createdAt: iso(clock()),
    });
    const again = await send(app, 'PUT', `/v1/queues/${name}`, {});
    expect(again.status).toBe(200);
    expect(again.json).toEqual(created.json);
    const updated = await send(app, 'PUT', `/v1/queues/${name}`, {
      visibilityTimeoutSeconds: 5,
      order: 'fifo',
    });
    expect(updated.status).toBe(200);
    expect(updated.json).toEqual({ ...created.json, visibilityTimeoutSeconds: 5 });
    const fetched = await send(app, 'GET', `/v1/queues/${name}`);
    expect(fetched.status).toBe(200);
    QueueWithCountsSchema.parse(fetched.json);
    expect(fetched.json).toEqual({
      ...updated.json,
      counts: { ready: 0, delayed: 0, inFlight: 0, total: 0 },
    });
  });

  it("refuses to change a queue's order with 409 Conflict", async () => {
    const name = await createQueue({ order: 'lifo' });
    expectError(await send(app, 'PUT', `/v1/queues/${name}`, { order: 'fifo' }), 409, 'Conflict');
  });

  it('checks the dead-letter configuration: existing queue, not itself, maxReceiveCount needs one', async () => {
    const name = queueName();
    const missing = queueName('missing');
    expectError(
      await send(app, 'PUT', `/v1/queues/${name}`, { deadLetterQueue: missing }),
      404,
      'QueueNotFound',
      missing,
    );
    expectError(
      await send(app, 'PUT', `/v1/queues/${name}`, { maxReceiveCount: 3 }),
      400,
      'ValidationError',
      'maxReceiveCount',
    );
    expectError(
      await send(app, 'PUT', `/v1/queues/${name}`, { deadLetterQueue: name }),
      400,
      'ValidationError',
      'deadLetterQueue',
    );
    const dlq = await createQueue();
    const source = await send(app, 'PUT', `/v1/queues/${name}`, { deadLetterQueue: dlq, maxReceiveCount: 3 });
    expect(source.status).toBe(201);
    expect(source.json).toMatchObject({ deadLetterQueue: dlq, maxReceiveCount: 3 });
    expectError(await send(app, 'DELETE', `/v1/queues/${dlq}`), 409, 'Conflict');
  });

  it('lists queues in name order, page by page, and refuses a forged cursor', async () => {
    const prefix = queueName('list');
    for (const suffix of ['c', 'a', 'b']) await createQueue({}, `${prefix}-${suffix}`);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Answer = await send(app, 'GET', `/v1/queues?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      QueueListSchema.parse(page.json);
      expect(page.json.queues.length).toBeLessThanOrEqual(2);
      seen.push(...page.json.queues.map((queue: { name: string }) => queue.name));
      cursor = page.json.cursor;
    } while (cursor);
    const ours = seen.filter((name) => name.startsWith(prefix));
    expect(ours).toEqual([`${prefix}-a`, `${prefix}-b`, `${prefix}-c`]);
    expect([...seen].sort()).toEqual(seen);
    expectError(await send(app, 'GET', '/v1/queues?cursor=not-a-cursor'), 400, 'ValidationError', 'cursor');
  });

  it('deletes a queue (204); later calls get 404 QueueNotFound', async () => {
    const name = await createQueue();
    const deleted = await send(app, 'DELETE', `/v1/queues/${name}`);
    expect(deleted.status).toBe(204);
    expectError(await send(app, 'GET', `/v1/queues/${name}`), 404, 'QueueNotFound', name);
    expectError(await send(app, 'DELETE', `/v1/queues/${name}`), 404, 'QueueNotFound');
    expectError(await publish(name, { body: 1 }), 404, 'QueueNotFound');
    expectError(await send(app, 'POST', `/v1/queues/${name}/receive`, ''), 404, 'QueueNotFound');
    expectError(await send(app, 'POST', `/v1/queues/${name}/purge`, ''), 404, 'QueueNotFound');
    expectError(await send(app, 'GET', `/v1/queues/${name}/messages`), 404, 'QueueNotFound');
    expectError(
      await send(app, 'POST', `/v1/queues/${name}/messages/batch`, { messages: [{ body: null }] }),
      404,
      'QueueNotFound',
    );
  });

  it('purges every message (204); outstanding receipts then get 409 ReceiptExpired', async () => {
    const name = await createQueue();
    await publish(name, { body: 1 });
    await publish(name, { body: 2, delaySeconds: 60 });
    const { json } = await receive(name);
    await publish(name, { body: 3 });
    expect((await send(app, 'POST', `/v1/queues/${name}/purge`)).status).toBe(204);
    expect((await send(app, 'GET', `/v1/queues/${name}`)).json.counts).toEqual({
      ready: 0,
      delayed: 0,
      inFlight: 0,
      total: 0,
    });
    expectError(
      await send(app, 'POST', `/v1/queues/${name}/ack`, { receipt: json.messages[0].receipt }),
      409,
      'ReceiptExpired',
    );
  });
});

describe('publish, receive, ack', () => {
  it('round-trips a message: 201 publish, view, receive with receipt, ack 204, then gone', async () => {
    const name = await createQueue();
    const published = await publish(name, {
      body: { order: 42, items: ['a'] },
      priority: 2,
      attributes: { kind: 'x' },
    });
    expect(published.status).toBe(201);
    expect(published.json).toEqual({ id: expect.any(String), deliverAt: iso(clock()), duplicate: false });
    const id = published.json.id;
    expect(id.length).toBeLessThanOrEqual(64);

    const view = await send(app, 'GET', `/v1/queues/${name}/messages/${id}`);
    expect(view.status).toBe(200);
    MessageViewSchema.parse(view.json);
    expect(view.json).toEqual({
      id,
      body: { order: 42, items: ['a'] },
      receiveCount: 0,
      publishedAt: iso(clock()),
      deliverAt: iso(clock()),
      priority: 2,
      groupId: null,
      deadLetter: null,
      attributes: { kind: 'x' },
      state: 'ready',
      leaseExpiresAt: null,
    });

    const { json } = await receive(name, { visibilityTimeoutSeconds: 45 });
    expect(json.messages).toHaveLength(1);
    const [message] = json.messages;
    expect(message).toMatchObject({ id, receiveCount: 1, priority: 2, groupId: null, deadLetter: null });
    expect(typeof message.receipt).toBe('string');

    const inFlight = await send(app, 'GET', `/v1/queues/${name}/messages/${id}`);
    expect(inFlight.json).toMatchObject({ state: 'inFlight', leaseExpiresAt: iso(clock() + 45_000) });
    expect((await receive(name)).json.messages).toEqual([]);

    expect((await send(app, 'POST', `/v1/queues/${name}/ack`, { receipt: message.receipt })).status).toBe(
      204,
    );
    expectError(
      await send(app, 'POST', `/v1/queues/${name}/ack`, { receipt: message.receipt }),
      409,
      'ReceiptExpired',
    );
    expectError(await send(app, 'GET', `/v1/queues/${name}/messages/${id}`), 404, 'MessageNotFound');
  });

  it('keeps every JSON body as it was sent', async () => {
    const name = await createQueue();
    const bodies = [
      'text',
      '',
      0,
      -1.5,
      false,
      true,
      [],
      {},
      [1, { a: null }],
      { é: '✓', nested: { deep: [[]] } },
    ];
    for (const body of bodies) expect((await publish(name, { body })).status).toBe(201);
    const { json } = await receive(name, { maxMessages: 10, ack: 'auto' });
    expect(json.messages.map((message: { body: unknown }) => message.body)).toEqual(bodies);
    for (const message of json.messages) expect(message).not.toHaveProperty('receipt');
  });

  it('delivers by priority, then publish order (fifo) or reverse (lifo)', async () => {
    const fifo = await createQueue();
    const lifo = await createQueue({ order: 'lifo' });
    for (const queue of [fifo, lifo]) {
      for (const [body, priority] of [
        ['a', 0],
        ['b', 5],
        ['c', 0],
        ['d', 5],
      ] as const) {
        await publish(queue, { body, priority });
      }
    }
    const bodies = async (queue: string) =>
      (await receive(queue, { maxMessages: 10, ack: 'auto' })).json.messages.map(
        (m: { body: string }) => m.body,
      );
    expect(await bodies(fifo)).toEqual(['b', 'd', 'a', 'c']);
    expect(await bodies(lifo)).toEqual(['d', 'b', 'c', 'a']);
  });

  it('delays by delaySeconds counted from the request, and by deliverAt; a past deliverAt means now', async () => {
    const name = await createQueue();
    const start = clock();
    const delayed = await publish(name, { body: 'later', delaySeconds: 10 });
    expect(delayed.json.deliverAt).toBe(iso(start + 10_000));
    const at = await publish(name, { body: 'at', deliverAt: iso(start + 20_000).replace('Z', '+00:00') });
    expect(at.json.deliverAt).toBe(iso(start + 20_000));
    const past = await publish(name, { body: 'past', deliverAt: '2001-01-01T00:00:00Z' });
    expect(past.json.deliverAt).toBe(iso(start));

    const browse = await send(app, 'GET', `/v1/queues/${name}/messages?state=delayed`);
    expect(browse.json.messages.map((m: { body: string }) => m.body)).toEqual(['later', 'at']);
    expect(
      (await receive(name, { maxMessages: 10, ack: 'auto' })).json.messages.map(
        (m: { body: string }) => m.body,
      ),
    ).toEqual(['past']);
    clock.advance(10_000);
    expect((await receive(name, { ack: 'auto' })).json.messages[0].body).toBe('later');
    clock.advance(10_000);
    expect((await receive(name, { ack: 'auto' })).json.messages[0].body).toBe('at');
  });

  it("applies the queue's delay unless the publish says otherwise (delaySeconds: 0 included)", async () => {
    const name = await createQueue({ delaySeconds: 30 });
    const defaulted = await publish(name, { body: 1 });
    expect(defaulted.json.deliverAt).toBe(iso(clock() + 30_000));
    const immediate = await publish(name, { body: 2, delaySeconds: 0 });
    expect(immediate.json.deliverAt).toBe(iso(clock()));
  });

  it('makes a message ready again when its lease expires, with visibilityTimeoutSeconds 0 at once', async () => {
    const name = await createQueue();
    await publish(name, { body: 'x' });
    const first = (await receive(name, { visibilityTimeoutSeconds: 0 })).json.messages[0];
    const second = (await receive(name)).json.messages[0];
    expect(second).toMatchObject({ id: first.id, receiveCount: 2 });
    expectError(
      await send(app, 'POST', `/v1/queues/${name}/ack`, { receipt: first.receipt }),
      409,
      'ReceiptExpired',
    );
  });

  it('wakes a long poll when a message arrives', async () => {
    const name = await createQueue();
    const started = performance.now();
    const polling = receive(name, { waitSeconds: 10 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await publish(name, { body: 'wake' });
    const { json } = await polling;
    expect(json.messages[0].body).toBe('wake');
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('receipts: release, extend, batch ack, bad receipts', () => {
  it('releases a message (204), ready again after the delay, receiveCount one higher', async () => {
    const name = await createQueue();
    await publish(name, { body: 'r' });
    const first = (await receive(name)).json.messages[0];
    expect(
      (await send(app, 'POST', `/v1/queues/${name}/release`, { receipt: first.receipt, delaySeconds: 5 }))
        .status,
    ).toBe(204);
    expect((await receive(name)).json.messages).toEqual([]);
    clock.advance(5_000);
    const again = (await receive(name)).json.messages[0];
    expect(again).toMatchObject({ id: first.id, receiveCount: 2 });
    expectError(
      await send(app, 'POST', `/v1/queues/${name}/release`, { receipt: first.receipt }),
      409,
      'ReceiptExpired',
    );
  });

  it('extends a lease (200 leaseExpiresAt), keeping the receipt', async () => {
    const name = await createQueue();
    await publish(name, { body: 'e' });
    const message = (await receive(name, { visibilityTimeoutSeconds: 10 })).json.messages[0];
    clock.advance(8_000);
    const extended = await send(app, 'POST', `/v1/queues/${name}/extend`, {
      receipt: message.receipt,
      visibilityTimeoutSeconds: 60,
    });
    expect(extended.status).toBe(200);
    expect(extended.json).toEqual({ leaseExpiresAt: iso(clock() + 60_000) });
    clock.advance(30_000);
    expect((await receive(name)).json.messages).toEqual([]);
    expect((await send(app, 'POST', `/v1/queues/${name}/ack`, { receipt: message.receipt })).status).toBe(
      204,
    );
  });

  it('acks a batch with one result per receipt, in order', async () => {
    const name = await createQueue();
    for (const body of [1, 2]) await publish(name, { body });
    const [a, b] = (await receive(name, { maxMessages: 2 })).json.messages;
    expect((await send(app, 'POST', `/v1/queues/${name}/ack`, { receipt: b.receipt })).status).toBe(204);
    const answer = await send(app, 'POST', `/v1/queues/${name}/ack`, {
      receipts: [a.receipt, b.receipt, 'garbage'],
    });
    expect(answer.status).toBe(200);
    expect(answer.json.results[0]).toEqual({ receipt: a.receipt, ok: true });
    expect(answer.json.results[1]).toMatchObject({ receipt: b.receipt, error: { code: 'ReceiptExpired' } });
    expect(answer.json.results[2]).toMatchObject({ receipt: 'garbage', error: { code: 'InvalidReceipt' } });
  });

  it("answers 400 InvalidReceipt for a malformed receipt or another queue's", async () => {
    const name = await createQueue();
    const other = await createQueue();
    await publish(other, { body: 'o' });
    const foreign = (await receive(other)).json.messages[0].receipt;
    for (const receipt of ['', 'garbage', 'x'.repeat(10_000), foreign, `${foreign}x.y`]) {
      for (const route of ['ack', 'release']) {
        expectError(
          await send(app, 'POST', `/v1/queues/${name}/${route}`, { receipt }),
          400,
          'InvalidReceipt',
        );
      }
      expectError(
        await send(app, 'POST', `/v1/queues/${name}/extend`, { receipt, visibilityTimeoutSeconds: 1 }),
        400,
        'InvalidReceipt',
      );
    }
  });
});

describe('batch publish and bounded queues', () => {
  it('publishes the valid entries in input order and fails the others alone', async () => {
    const name = await createQueue();
    const answer = await send(app, 'POST', `/v1/queues/${name}/messages/batch`, {
      messages: [
        { body: 'a' },
        { body: 'b', priority: 99 },
        { body: 'c', delaySeconds: 0 },
        { body: 'x'.repeat(300_000) },
      ],
    });
    expect(answer.status).toBe(200);
    const [a, b, c, d] = answer.json.results;
    expect(a).toEqual({ id: expect.any(String), deliverAt: iso(clock()), duplicate: false });
    expect(b.error.code).toBe('ValidationError');
    expect(c.duplicate).toBe(false);
    expect(d.error.code).toBe('PayloadTooLarge');
    const bodies = (await receive(name, { maxMessages: 10, ack: 'auto' })).json.messages.map(
      (m: { body: string }) => m.body,
    );
    expect(bodies).toEqual(['a', 'c']);
  });

  it('answers 429 QueueFull with Retry-After on a full queue, and QueueFull per batch entry', async () => {
    const name = await createQueue({ maxMessages: 2 });
    expect((await publish(name, { body: 1 })).status).toBe(201);
    const batch = await send(app, 'POST', `/v1/queues/${name}/messages/batch`, {
      messages: [{ body: 2 }, { body: 3 }],
    });
    expect(batch.json.results.map((r: { error?: { code: string } }) => r.error?.code ?? 'ok')).toEqual([
      'ok',
      'QueueFull',
    ]);
    const full = await publish(name, { body: 4 });
    expectError(full, 429, 'QueueFull');
    expect(full.headers.get('retry-after')).toMatch(/^\d+$/);
    const counts = (await send(app, 'GET', `/v1/queues/${name}`)).json.counts;
    expect(counts).toEqual({ ready: 2, delayed: 0, inFlight: 0, total: 2 });
  });
});

describe('browse, get, delete', () => {
  it('browses by state with limit and cursor; ready in delivery order, then delayed, then in flight', async () => {
    const name = await createQueue();
    await publish(name, { body: 'delayed', delaySeconds: 100 });
    await publish(name, { body: 'low' });
    await publish(name, { body: 'high', priority: 9 });
    await publish(name, { body: 'leased' });
    await publish(name, { body: 'low2' });
    await receive(name, { maxMessages: 1 }); // takes 'high'

    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Answer = await send(
        app,
        'GET',
        `/v1/queues/${name}/messages?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      BrowseResponse.parse(page.json);
      all.push(...page.json.messages.map((m: { body: string; state: string }) => `${m.body}:${m.state}`));
      cursor = page.json.cursor;
    } while (cursor);
    expect(all).toEqual(['low:ready', 'leased:ready', 'low2:ready', 'delayed:delayed', 'high:inFlight']);

    const ready = await send(app, 'GET', `/v1/queues/${name}/messages?state=ready&limit=100`);
    expect(ready.json.messages.map((m: { body: string }) => m.body)).toEqual(['low', 'leased', 'low2']);
    const inFlight = await send(app, 'GET', `/v1/queues/${name}/messages?state=inFlight`);
    expect(inFlight.json.messages[0]).toMatchObject({
      body: 'high',
      receiveCount: 1,
      leaseExpiresAt: iso(clock() + 30_000),
    });
    expect(inFlight.json.messages[0]).not.toHaveProperty('receipt');
    const counts = (await send(app, 'GET', `/v1/queues/${name}`)).json.counts;
    expect(counts).toEqual({ ready: 3, delayed: 1, inFlight: 1, total: 5 });
    expectError(
      await send(app, 'GET', `/v1/queues/${name}/messages?cursor=Zm9yZ2Vk`),
      400,
      'ValidationError',
      'cursor',
    );
  });

  it('deletes a message in any state (204), then 404 MessageNotFound', async () => {
    const name = await createQueue();
    const ids: string[] = [];
    for (const body of [{ body: 'ready' }, { body: 'delayed', delaySeconds: 60 }, { body: 'leased' }]) {
      ids.push((await publish(name, body)).json.id);
    }
    await receive(name); // leases 'ready'
    for (const id of ids) {
      expect((await send(app, 'DELETE', `/v1/queues/${name}/messages/${id}`)).status).toBe(204);
      expectError(await send(app, 'DELETE', `/v1/queues/${name}/messages/${id}`), 404, 'MessageNotFound');
      expectError(await send(app, 'GET', `/v1/queues/${name}/messages/${id}`), 404, 'MessageNotFound');
    }
    expectError(
      await send(app, 'GET', `/v1/queues/${name}/messages/AAAAAAAAAAAAAAAAAAAAAA`),
      404,
      'MessageNotFound',
    );
    expectError(
      await send(app, 'GET', `/v1/queues/${queueName('none')}/messages/AAAA`),
      404,
      'QueueNotFound',
    );
  });
});

describe('service', () => {
  it('answers GET /v1/health with 200 when DynamoDB Local answers', async () => {
    const answer = await send(app, 'GET', '/v1/health');
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ status: 'ok' });
  });

  it('returns the queue shape the schema documents', async () => {
    const name = await createQueue();
    QueueSchema.parse((await send(app, 'PUT', `/v1/queues/${name}`, {})).json);
  });
});
