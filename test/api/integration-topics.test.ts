/**
 * Topics end to end, through the real engine on DynamoDB Local: create, get, list, delete; the
 * fan-out with filters, deduplication per queue, bounded and lifo queues, all or none.
 */
import type { Hono } from 'hono';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  MessageViewSchema,
  TopicListSchema,
  TopicPublishResponse,
  TopicSchema,
} from '../../functions/api/schemas';
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

type Subscription = { queue: string; filter?: Record<string, string[]> };

async function createTopic(subscriptions: Subscription[], name = queueName('topic')): Promise<string> {
  const answer = await send(app, 'PUT', `/v1/topics/${name}`, { subscriptions });
  expect(answer.status, answer.text).toBe(201);
  return name;
}

async function publishTo(topic: string, body: object): Promise<Answer> {
  return send(app, 'POST', `/v1/topics/${topic}/messages`, body);
}

/** What each queue holds, as `body` values, without receiving. */
async function bodies(queue: string): Promise<unknown[]> {
  const answer = await send(app, 'GET', `/v1/queues/${queue}/messages?limit=100`);
  expect(answer.status, answer.text).toBe(200);
  return answer.json.messages.map((message: { body: unknown }) => message.body);
}

describe('topics', () => {
  it('creates (201), updates (200, same createdAt), gets, and deletes (204) a topic', async () => {
    const [a, b] = [await createQueue(), await createQueue()];
    const name = queueName('topic');
    const created = await send(app, 'PUT', `/v1/topics/${name}`, { subscriptions: [{ queue: a }] });
    expect(created.status).toBe(201);
    TopicSchema.parse(created.json);
    expect(created.json).toEqual({ name, subscriptions: [{ queue: a }], createdAt: iso(clock()) });

    clock.advance(1_000);
    const subscriptions = [{ queue: a }, { queue: b, filter: { kind: ['x', 'y'] } }];
    const updated = await send(app, 'PUT', `/v1/topics/${name}`, { subscriptions });
    expect(updated.status).toBe(200);
    expect(updated.json).toEqual({ name, subscriptions, createdAt: created.json.createdAt });
    const fetched = await send(app, 'GET', `/v1/topics/${name}`);
    expect(fetched.status).toBe(200);
    expect(fetched.json).toEqual(updated.json);
    const emptied = await send(app, 'PUT', `/v1/topics/${name}`, { subscriptions: [] });
    expect(emptied.json.subscriptions).toEqual([]);

    expect((await send(app, 'DELETE', `/v1/topics/${name}`)).status).toBe(204);
    expectError(await send(app, 'GET', `/v1/topics/${name}`), 404, 'TopicNotFound', name);
    expectError(await send(app, 'DELETE', `/v1/topics/${name}`), 404, 'TopicNotFound', name);
    expectError(await publishTo(name, { body: 1 }), 404, 'TopicNotFound', name);
  });

  it('lists topics in name order, page by page, and refuses a forged cursor', async () => {
    const prefix = queueName('list');
    for (const suffix of ['c', 'a', 'b']) await createTopic([], `${prefix}-${suffix}`);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Answer = await send(app, 'GET', `/v1/topics?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      TopicListSchema.parse(page.json);
      expect(page.json.topics.length).toBeLessThanOrEqual(2);
      seen.push(...page.json.topics.map((topic: { name: string }) => topic.name));
      cursor = page.json.cursor;
    } while (cursor);
    expect(seen.filter((name) => name.startsWith(prefix))).toEqual([
      `${prefix}-a`,
      `${prefix}-b`,
      `${prefix}-c`,
    ]);
    expect([...seen].sort()).toEqual(seen);
    const all = await send(app, 'GET', '/v1/topics');
    expect(all.json.topics.length).toBe(seen.length);
    expectError(await send(app, 'GET', '/v1/topics?cursor=not-a-cursor'), 400, 'ValidationError', 'cursor');
    // A cursor this server issued, but for queues.
    for (let i = 0; i < 2; i++) await createQueue();
    const queueCursor = (await send(app, 'GET', '/v1/queues?limit=1')).json.cursor;
    expect(queueCursor).toEqual(expect.any(String));
    expectError(await send(app, 'GET', `/v1/topics?cursor=${queueCursor}`), 400, 'ValidationError', 'cursor');
  });

  it('stores subscriptions up to the 256 KiB limit (one DynamoDB item)', async () => {
    const queue = await createQueue();
    // Many one-character values: the most DynamoDB overhead per JSON byte.
    const values = Array.from({ length: 60_000 }, (_, i) => String(i % 10));
    const subscriptions = [{ queue, filter: { k: values } }];
    expect(JSON.stringify(subscriptions).length).toBeGreaterThan(240_000);
    const name = await createTopic(subscriptions);
    expect((await send(app, 'GET', `/v1/topics/${name}`)).json.subscriptions).toEqual(subscriptions);
  });

  it('refuses a subscription to a missing queue with 404 QueueNotFound naming it, creating nothing', async () => {
    const present = await createQueue();
    const missing = queueName('missing');
    const name = queueName('topic');
    const answer = await send(app, 'PUT', `/v1/topics/${name}`, {
      subscriptions: [{ queue: present }, { queue: missing }],
    });
    expectError(answer, 404, 'QueueNotFound', missing);
    expectError(await send(app, 'GET', `/v1/topics/${name}`), 404, 'TopicNotFound');
  });

  it('refuses to delete a subscribed queue with 409 Conflict, until the topic lets it go', async () => {
    const queue = await createQueue();
    const topic = await createTopic([{ queue }]);
    expectError(await send(app, 'DELETE', `/v1/queues/${queue}`), 409, 'Conflict');
    expect((await send(app, 'PUT', `/v1/topics/${topic}`, { subscriptions: [] })).status).toBe(200);
    expect((await send(app, 'DELETE', `/v1/queues/${queue}`)).status).toBe(204);
  });
});

describe('publish to a topic', () => {
  it('delivers a copy, with its own id, to every queue whose filter matches', async () => {
    const [all, kindX, kindXinEu, never] = [
      await createQueue(),
      await createQueue(),
      await createQueue(),
      await createQueue(),
    ];
    const topic = await createTopic([
      { queue: all },
      { queue: kindX, filter: { kind: ['x'] } },
      { queue: kindXinEu, filter: { kind: ['x', 'y'], region: ['eu'] } },
      // A key with an empty list matches nothing.
      { queue: never, filter: { kind: [] } },
    ]);

    const first = await publishTo(topic, {
      body: { n: 1 },
      priority: 4,
      attributes: { kind: 'x', region: 'eu' },
    });
    expect(first.status).toBe(201);
    TopicPublishResponse.parse(first.json);
    expect(first.json.deliveries.map((d: { queue: string }) => d.queue).sort()).toEqual(
      [all, kindX, kindXinEu].sort(),
    );
    const ids = first.json.deliveries.map((d: { id: string }) => d.id);
    expect(new Set(ids).size).toBe(3);
    for (const delivery of first.json.deliveries) {
      expect(delivery).not.toHaveProperty('duplicate');
      const view = await send(app, 'GET', `/v1/queues/${delivery.queue}/messages/${delivery.id}`);
      expect(view.status).toBe(200);
      MessageViewSchema.parse(view.json);
      expect(view.json).toMatchObject({
        body: { n: 1 },
        priority: 4,
        attributes: { kind: 'x', region: 'eu' },
        state: 'ready',
        deliverAt: iso(clock()),
      });
    }

    expect((await publishTo(topic, { body: 2, attributes: { kind: 'y' } })).json.deliveries).toEqual([
      { queue: all, id: expect.any(String) },
    ]);
    expect((await publishTo(topic, { body: 3, attributes: { kind: 'y', region: 'eu' } })).status).toBe(201);
    expect((await publishTo(topic, { body: 4 })).status).toBe(201);

    expect(await bodies(all)).toEqual([{ n: 1 }, 2, 3, 4]);
    expect(await bodies(kindX)).toEqual([{ n: 1 }]);
    expect(await bodies(kindXinEu)).toEqual([{ n: 1 }, 3]);
    expect(await bodies(never)).toEqual([]);
    expect(await counts(never)).toEqual({ ready: 0, delayed: 0, inFlight: 0, total: 0 });
  });

  it('answers 201 with no deliveries when no filter matched, and for a topic without subscriptions', async () => {
    const queue = await createQueue();
    const filtered = await createTopic([{ queue, filter: { kind: ['x'] } }]);
    const answer = await publishTo(filtered, { body: 1, attributes: { kind: 'z' } });
    expect(answer.status).toBe(201);
    expect(answer.json).toEqual({ id: expect.any(String), deliveries: [] });
    expect((await publishTo(await createTopic([]), { body: 1 })).json.deliveries).toEqual([]);
    expect(await counts(queue)).toMatchObject({ total: 0 });
  });

  it('delivers one copy to a queue subscribed twice when either filter matches', async () => {
    const queue = await createQueue();
    const topic = await createTopic([
      { queue, filter: { kind: ['x'] } },
      { queue, filter: { kind: ['y'] } },
    ]);
    for (const kind of ['x', 'y', 'z']) await publishTo(topic, { body: kind, attributes: { kind } });
    expect(await bodies(queue)).toEqual(['x', 'y']);
  });

  it('applies delaySeconds, counted from the request, to every copy', async () => {
    const [a, b] = [await createQueue(), await createQueue({ delaySeconds: 600 })];
    const topic = await createTopic([{ queue: a }, { queue: b }]);
    const answer = await publishTo(topic, { body: 'later', delaySeconds: 10 });
    for (const { queue, id } of answer.json.deliveries) {
      const view = await send(app, 'GET', `/v1/queues/${queue}/messages/${id}`);
      expect(view.json).toMatchObject({ state: 'delayed', deliverAt: iso(clock() + 10_000) });
    }
  });

  it('lists the queues where the deduplicationId is a duplicate with duplicate: true and the first id', async () => {
    const [a, b] = [await createQueue(), await createQueue()];
    const off = await createQueue({ deduplicationWindowSeconds: 0 });
    const topic = await createTopic([{ queue: a }, { queue: b }, { queue: off }]);
    const direct = await publish(a, { body: 'direct', deduplicationId: 'd1' });
    expect(direct.status).toBe(201);

    const first = await publishTo(topic, { body: 'fan', deduplicationId: 'd1' });
    expect(first.status).toBe(201);
    const byQueue = (answer: Answer) =>
      Object.fromEntries(answer.json.deliveries.map((d: { queue: string }) => [d.queue, d]));
    const firstDeliveries = byQueue(first);
    expect(firstDeliveries[a]).toEqual({ queue: a, id: direct.json.id, duplicate: true });
    expect(firstDeliveries[b]).toEqual({ queue: b, id: expect.any(String) });
    expect(firstDeliveries[off]).toEqual({ queue: off, id: expect.any(String) });

    const again = byQueue(await publishTo(topic, { body: 'fan', deduplicationId: 'd1' }));
    expect(again[a]).toEqual({ queue: a, id: direct.json.id, duplicate: true });
    expect(again[b]).toEqual({ queue: b, id: firstDeliveries[b].id, duplicate: true });
    expect(again[off].duplicate).toBeUndefined();
    expect(again[off].id).not.toBe(firstDeliveries[off].id);

    expect(await bodies(a)).toEqual(['direct']);
    expect(await bodies(b)).toEqual(['fan']);
    expect(await bodies(off)).toEqual(['fan', 'fan']);
  });

  it('fails the whole publish with 429 QueueFull naming a full bounded queue; no queue gets the message', async () => {
    const open = await createQueue();
    const full = await createQueue({ maxMessages: 1 });
    const roomy = await createQueue({ maxMessages: 5 });
    expect((await publish(full, { body: 'already there' })).status).toBe(201);
    const topic = await createTopic([{ queue: open }, { queue: full }, { queue: roomy }]);

    const answer = await publishTo(topic, { body: 'fan' });
    expectError(answer, 429, 'QueueFull', full);
    expect(answer.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await counts(open)).toMatchObject({ total: 0 });
    expect(await counts(full)).toMatchObject({ total: 1 });
    expect(await counts(roomy)).toMatchObject({ total: 0 });

    // With room again, the same publish reaches all three.
    await receive(full, { ack: 'auto' });
    expect((await publishTo(topic, { body: 'fan' })).json.deliveries).toHaveLength(3);
    for (const queue of [open, full, roomy]) expect(await bodies(queue)).toEqual(['fan']);
  });

  it('gives a lifo queue its copy with groupId null, and a fifo queue the group', async () => {
    const fifo = await createQueue();
    const lifo = await createQueue({ order: 'lifo' });
    const topic = await createTopic([{ queue: fifo }, { queue: lifo }]);
    const answer = await publishTo(topic, { body: 'g', groupId: 'orders-42' });
    expect(answer.status).toBe(201);
    expect(answer.json.deliveries).toHaveLength(2);
    expect((await receive(fifo, { ack: 'auto' })).json.messages[0]).toMatchObject({ groupId: 'orders-42' });
    expect((await receive(lifo, { ack: 'auto' })).json.messages[0]).toMatchObject({
      body: 'g',
      groupId: null,
    });
  });

  // A hundred queues: slow on a loaded DynamoDB Local, hence the longer time limit.
  it('fans out to 50 queues at once; a fan-out too big for one DynamoDB transaction is 413, storing nothing', async () => {
    const plain = await Promise.all(Array.from({ length: 50 }, () => createQueue()));
    const wide = await createTopic(plain.map((queue) => ({ queue })));
    const answer = await publishTo(wide, { body: 'all', deduplicationId: 'd' });
    expect(answer.status).toBe(201);
    expect(answer.json.deliveries.map((d: { queue: string }) => d.queue).sort()).toEqual([...plain].sort());

    // Bounded queues with a deduplicationId take three writes each: 150 is over DynamoDB's 100.
    const bounded = await Promise.all(Array.from({ length: 50 }, () => createQueue({ maxMessages: 10 })));
    const tooWide = await createTopic(bounded.map((queue) => ({ queue })));
    expectError(await publishTo(tooWide, { body: 'none', deduplicationId: 'd' }), 413, 'PayloadTooLarge');
    for (const queue of bounded.slice(0, 3)) expect(await counts(queue)).toMatchObject({ total: 0 });
    expect((await publishTo(tooWide, { body: 'all' })).json.deliveries).toHaveLength(50);
  }, 120_000);

  it('refuses waitSeconds and an oversized message before anything is stored', async () => {
    const queue = await createQueue();
    const topic = await createTopic([{ queue }]);
    expectError(await publishTo(topic, { body: 1, waitSeconds: 0 }), 400, 'ValidationError', 'waitSeconds');
    expectError(await publishTo(topic, { body: 'x'.repeat(262_141) }), 413, 'PayloadTooLarge');
    expect(await counts(queue)).toMatchObject({ total: 0 });
  });
});

describe('attribute names that are also JavaScript property names', () => {
  it('stores, delivers and filters on an attribute named __proto__', async () => {
    const queue = await createQueue();
    const published = await publish(queue, JSON.parse('{"body":1,"attributes":{"__proto__":"x"}}'));
    expect(published.status, published.text).toBe(201);
    const { json } = await receive(queue, { ack: 'auto' });
    expect(JSON.stringify(json.messages[0].attributes)).toBe('{"__proto__":"x"}');

    const topic = `t-${queue}`;
    const put = await send(
      app,
      'PUT',
      `/v1/topics/${topic}`,
      `{"subscriptions":[{"queue":"${queue}","filter":{"__proto__":["x"]}}]}`,
    );
    expect(put.status, put.text).toBe(201);
    expect(put.text).toContain('"__proto__":["x"]');
    const hit = await send(
      app,
      'POST',
      `/v1/topics/${topic}/messages`,
      '{"body":2,"attributes":{"__proto__":"x"}}',
    );
    expect(hit.json.deliveries).toHaveLength(1);
    const miss = await send(app, 'POST', `/v1/topics/${topic}/messages`, '{"body":3}');
    expect(miss.json.deliveries).toEqual([]);
  });
});
