/**
 * Flow control through the HTTP API on the real engine: pause/resume (204 each, the queue's
 * `paused` field), the `rateLimit` field (validation, and a receive that waits for tokens) and
 * the `groupLimits` field (validation, and a group that delivers up to maxInFlight at once).
 */
import type { Hono } from 'hono';
import { beforeAll, describe, expect, it } from 'vitest';
import { QueueWithCountsSchema } from '../../functions/api/schemas';
import { type ManualClock, queueName } from '../support/engine';
import { type Harness, harness } from './integration-support';
import { expectError, send } from './support';

let app: Hono;
let clock: ManualClock;
let createQueue: Harness['createQueue'];
let publish: Harness['publish'];
let receive: Harness['receive'];

beforeAll(async () => {
  ({ app, clock, createQueue, publish, receive } = await harness());
});

describe('POST /v1/queues/{queue}/pause and /resume', () => {
  it('pauses (204): receives answer nothing, publishes are accepted, GET shows paused and counts', async () => {
    const name = await createQueue();
    expect((await publish(name, { body: 1 })).status).toBe(201);
    const paused = await send(app, 'POST', `/v1/queues/${name}/pause`, '');
    expect(paused.status).toBe(204);
    expect(paused.text).toBe('');
    expect((await publish(name, { body: 2 })).status).toBe(201);
    expect((await receive(name, { maxMessages: 10 })).json.messages).toEqual([]);
    const got = await send(app, 'GET', `/v1/queues/${name}`);
    QueueWithCountsSchema.parse(got.json);
    expect(got.json).toMatchObject({ paused: true, counts: { ready: 2, total: 2 } });
    const browse = await send(app, 'GET', `/v1/queues/${name}/messages?state=ready`);
    expect(browse.json.messages).toHaveLength(2);
    const listed = await send(app, 'GET', '/v1/queues');
    expect(listed.json.queues.find((q: { name: string }) => q.name === name).paused).toBe(true);

    expect((await send(app, 'POST', `/v1/queues/${name}/resume`, {})).status).toBe(204);
    expect((await send(app, 'GET', `/v1/queues/${name}`)).json.paused).toBe(false);
    const delivered = await receive(name, { maxMessages: 10 });
    expect(delivered.json.messages.map((m: { body: unknown }) => m.body)).toEqual([1, 2]);
  });

  it('answers 404 QueueNotFound for an unknown queue and 400 for a body other than {}', async () => {
    const missing = queueName('missing');
    expectError(await send(app, 'POST', `/v1/queues/${missing}/pause`), 404, 'QueueNotFound');
    expectError(await send(app, 'POST', `/v1/queues/${missing}/resume`), 404, 'QueueNotFound');
    const name = await createQueue();
    expectError(await send(app, 'POST', `/v1/queues/${name}/pause`, { now: true }), 400, 'ValidationError');
    expectError(await send(app, 'POST', `/v1/queues/${name}/resume`, '{'), 400, 'InvalidJson');
    expect((await send(app, 'GET', `/v1/queues/${name}`)).json.paused).toBe(false);
  });

  it('refuses paused in a PUT body: it is read only', async () => {
    const name = await createQueue();
    expectError(
      await send(app, 'PUT', `/v1/queues/${name}`, { paused: true }),
      400,
      'ValidationError',
      'paused',
    );
  });
});

describe('rateLimit', () => {
  it('is set, shown, changed and cleared through PUT', async () => {
    const name = await createQueue({ rateLimit: { perSecond: 2.5 } });
    expect((await send(app, 'GET', `/v1/queues/${name}`)).json.rateLimit).toEqual({ perSecond: 2.5 });
    const changed = await send(app, 'PUT', `/v1/queues/${name}`, { rateLimit: { perSecond: 10, burst: 20 } });
    expect(changed.json.rateLimit).toEqual({ perSecond: 10, burst: 20 });
    // Left out: kept.
    expect((await send(app, 'PUT', `/v1/queues/${name}`, {})).json.rateLimit).toEqual({
      perSecond: 10,
      burst: 20,
    });
    expect((await send(app, 'PUT', `/v1/queues/${name}`, { rateLimit: null })).json.rateLimit).toBeNull();
  });

  it.each([
    [{ perSecond: 0 }, 'rateLimit.perSecond'],
    [{ perSecond: -1 }, 'rateLimit.perSecond'],
    [{ perSecond: '5' }, 'rateLimit.perSecond'],
    [{}, 'rateLimit.perSecond'],
    [{ perSecond: 5, burst: 0 }, 'rateLimit.burst'],
    [{ perSecond: 5, burst: 1.5 }, 'rateLimit.burst'],
    [{ perSecond: 5, every: 1 }, 'rateLimit'],
    [5, 'rateLimit'],
  ])('refuses rateLimit %j with 400 naming %s, and changes nothing', async (rateLimit, field) => {
    const name = await createQueue();
    expectError(await send(app, 'PUT', `/v1/queues/${name}`, { rateLimit }), 400, 'ValidationError', field);
    expect((await send(app, 'GET', `/v1/queues/${name}`)).json.rateLimit).toBeNull();
  });

  it('over the limit a receive answers fewer messages, and the rest wait for the rate', async () => {
    const name = await createQueue({ rateLimit: { perSecond: 2, burst: 2 } });
    for (let i = 0; i < 5; i++) await publish(name, { body: i });
    expect((await receive(name, { maxMessages: 10 })).json.messages).toHaveLength(2);
    expect((await receive(name, { maxMessages: 10 })).json.messages).toHaveLength(0);
    clock.advance(500);
    expect((await receive(name, { maxMessages: 10 })).json.messages).toHaveLength(1);
    clock.advance(1_000);
    const rest = await receive(name, { maxMessages: 10 });
    expect(
      rest.json.messages.map((m: { body: unknown; receiveCount: number }) => [m.body, m.receiveCount]),
    ).toEqual([
      [3, 1],
      [4, 1],
    ]);
  });
});

describe('groupLimits', () => {
  it('is set, shown, kept and cleared through PUT', async () => {
    const name = await createQueue({ groupLimits: { maxInFlight: 5 } });
    expect((await send(app, 'GET', `/v1/queues/${name}`)).json.groupLimits).toEqual({ maxInFlight: 5 });
    expect((await send(app, 'PUT', `/v1/queues/${name}`, {})).json.groupLimits).toEqual({ maxInFlight: 5 });
    expect((await send(app, 'PUT', `/v1/queues/${name}`, { groupLimits: null })).json.groupLimits).toBeNull();
    const paced = await send(app, 'PUT', `/v1/queues/${name}`, {
      groupLimits: { maxInFlight: 2, perSecond: 0.5 },
    });
    expect(paced.json.groupLimits).toEqual({ maxInFlight: 2, perSecond: 0.5 });
    const rateOnly = await send(app, 'PUT', `/v1/queues/${name}`, { groupLimits: { perSecond: 4 } });
    expect(rateOnly.json.groupLimits).toEqual({ perSecond: 4 });
    const keyed = await send(app, 'PUT', `/v1/queues/${name}`, {
      groupLimits: { key: 'tenant.id', maxInFlight: 3 },
    });
    expect(keyed.json.groupLimits).toEqual({ maxInFlight: 3, key: 'tenant.id' });
    expect((await send(app, 'GET', `/v1/queues/${name}`)).json.groupLimits).toEqual({
      maxInFlight: 3,
      key: 'tenant.id',
    });
    // A key alone: one in flight per value, as a strict group.
    const keyOnly = await send(app, 'PUT', `/v1/queues/${name}`, { groupLimits: { key: 'tenant' } });
    expect(keyOnly.json.groupLimits).toEqual({ key: 'tenant' });
  });

  it.each([
    [{ maxInFlight: 0 }, 'groupLimits.maxInFlight'],
    [{ maxInFlight: 2.5 }, 'groupLimits.maxInFlight'],
    [{ maxInFlight: '5' }, 'groupLimits.maxInFlight'],
    [{ perSecond: 0 }, 'groupLimits.perSecond'],
    [{ perSecond: -2 }, 'groupLimits.perSecond'],
    [{ maxInFlight: 5, perSecond: '10' }, 'groupLimits.perSecond'],
    [{ maxInFlight: 5, every: 1 }, 'groupLimits'],
    [{ key: '' }, 'groupLimits.key'],
    [{ key: 'a b' }, 'groupLimits.key'],
    [{ key: 'x'.repeat(65) }, 'groupLimits.key'],
    [{ key: 5, maxInFlight: 2 }, 'groupLimits.key'],
    [5, 'groupLimits'],
  ])('refuses groupLimits %j with 400 naming %s, and changes nothing', async (groupLimits, field) => {
    const name = await createQueue();
    expectError(await send(app, 'PUT', `/v1/queues/${name}`, { groupLimits }), 400, 'ValidationError', field);
    expect((await send(app, 'GET', `/v1/queues/${name}`)).json.groupLimits).toBeNull();
  });

  it('delivers up to maxInFlight of a group at once; the next after an ack', async () => {
    const name = await createQueue({ groupLimits: { maxInFlight: 2 } });
    for (let i = 0; i < 4; i++) await publish(name, { body: i, groupId: 'tenant' });
    const first = (await receive(name, { maxMessages: 10 })).json.messages as {
      body: number;
      receipt: string;
    }[];
    expect(first.map((m) => m.body)).toEqual([0, 1]);
    expect((await receive(name, { maxMessages: 10 })).json.messages).toEqual([]);
    const ack = await send(app, 'POST', `/v1/queues/${name}/ack`, { receipt: first[0]?.receipt });
    expect(ack.status).toBe(204);
    expect(
      ((await receive(name, { maxMessages: 10 })).json.messages as { body: number }[]).map((m) => m.body),
    ).toEqual([2]);
  });

  it('groups by groupLimits.key: the attribute value is the groupId consumers see', async () => {
    const name = await createQueue({ groupLimits: { key: 'tenant', maxInFlight: 2 } });
    for (let i = 0; i < 3; i++) await publish(name, { body: i, attributes: { tenant: 'acme' } });
    await publish(name, { body: 9 });
    const first = (await receive(name, { maxMessages: 10 })).json.messages as {
      body: number;
      groupId: string | null;
    }[];
    expect(first.map((m) => [m.body, m.groupId])).toEqual([
      [0, 'acme'],
      [1, 'acme'],
      [9, null],
    ]);
    expect((await receive(name, { maxMessages: 10 })).json.messages).toEqual([]);
  });

  it('refuses groupLimits.key on a lifo queue (it has no groups)', async () => {
    const name = await createQueue({ order: 'lifo' });
    expectError(
      await send(app, 'PUT', `/v1/queues/${name}`, { groupLimits: { key: 'tenant' } }),
      400,
      'ValidationError',
      'groupLimits',
    );
  });
});
