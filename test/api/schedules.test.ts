/**
 * The schedule routes: through the real engine on DynamoDB Local with a clock the test moves
 * (create 201 / replace 200, get with nextFirings, list with cursor, delete 204, fired messages
 * with their attributes), and bad input refused with 400/404/413 before the engine is asked.
 */
import type { Hono } from 'hono';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../functions/api/app';
import { ScheduleListSchema, ScheduleSchema } from '../../functions/api/schedule-schemas';
import type { DynamoEngine } from '../../functions/core/dynamo-engine';
import { type ManualClock, manualClock, queueName, testEngine } from '../support/engine';
import { iso } from './integration-support';
import { expectError, send, throwingEngine } from './support';

let app: Hono;
let clock: ManualClock;
let engine: DynamoEngine;
let queue: string;

beforeAll(async () => {
  clock = manualClock(Date.parse('2026-12-02T09:59:30.000Z'));
  ({ engine } = await testEngine(clock));
  app = createApp({ engine, clock });
  queue = queueName('sched');
  await engine.putQueue(queue, {});
});

const daily = () => ({
  cron: '0 9 * * *',
  timeZone: 'Europe/Berlin',
  target: { queue },
  message: { body: { report: 'daily' }, attributes: { kind: 'report' }, priority: 3 },
});

describe('schedules over HTTP', () => {
  it('creates (201), replaces (200), gets with the next 5 firings, lists, deletes (204)', async () => {
    const created = await send(app, 'PUT', '/v1/schedules/report', daily());
    expect(created.status, created.text).toBe(201);
    ScheduleSchema.parse(created.json);
    expect(created.json).toEqual({
      name: 'report',
      cron: '0 9 * * *',
      timeZone: 'Europe/Berlin',
      everySeconds: null,
      target: { queue },
      message: { body: { report: 'daily' }, attributes: { kind: 'report' }, priority: 3, groupId: null },
      start: null,
      end: null,
      paused: false,
      nextFirings: [
        '2026-12-03T08:00:00.000Z',
        '2026-12-04T08:00:00.000Z',
        '2026-12-05T08:00:00.000Z',
        '2026-12-06T08:00:00.000Z',
        '2026-12-07T08:00:00.000Z',
      ],
      lastFiredAt: null,
      lastError: null,
      createdAt: iso(clock()),
      updatedAt: iso(clock()),
    });
    const replaced = await send(app, 'PUT', '/v1/schedules/report', { ...daily(), paused: true });
    expect(replaced.status).toBe(200);
    expect(replaced.json).toMatchObject({ paused: true, nextFirings: [] });
    const got = await send(app, 'GET', '/v1/schedules/report');
    expect(got.json).toEqual(replaced.json);

    await send(app, 'PUT', '/v1/schedules/another', {
      everySeconds: 60,
      target: { queue },
      message: { body: 1 },
    });
    const page = await send(app, 'GET', '/v1/schedules?limit=1');
    ScheduleListSchema.parse(page.json);
    expect(page.json.schedules.map((s: { name: string }) => s.name)).toEqual(['another']);
    const rest = await send(app, 'GET', `/v1/schedules?limit=1&cursor=${page.json.cursor}`);
    expect(rest.json.schedules.map((s: { name: string }) => s.name)).toEqual(['report']);

    expect((await send(app, 'DELETE', '/v1/schedules/report')).status).toBe(204);
    expectError(await send(app, 'GET', '/v1/schedules/report'), 404, 'NotFound');
    expectError(await send(app, 'DELETE', '/v1/schedules/report'), 404, 'NotFound');
    await send(app, 'DELETE', '/v1/schedules/another');
  });

  it('publishes a fired message with postbox.schedule and postbox.firedAt', async () => {
    await send(app, 'PUT', '/v1/schedules/tick', {
      cron: 'CRON_TZ=UTC * * * * *',
      target: { queue },
      message: { body: 'tick' },
    });
    clock.set(Date.parse('2026-12-02T10:00:00.400Z'));
    await engine.runDueSchedules();
    const received = await send(app, 'POST', `/v1/queues/${queue}/receive`, { ack: 'auto' });
    expect(received.json.messages).toHaveLength(1);
    expect(received.json.messages[0]).toMatchObject({
      body: 'tick',
      attributes: { 'postbox.schedule': 'tick', 'postbox.firedAt': '2026-12-02T10:00:00.000Z' },
    });
    const got = await send(app, 'GET', '/v1/schedules/tick');
    expect(got.json).toMatchObject({
      lastFiredAt: '2026-12-02T10:00:00.000Z',
      nextFirings: expect.arrayContaining(['2026-12-02T10:01:00.000Z']),
    });
    await send(app, 'DELETE', '/v1/schedules/tick');
  });

  it('answers 404 for a target that does not exist, naming it', async () => {
    const answer = await send(app, 'PUT', '/v1/schedules/x', { ...daily(), target: { queue: 'missing-q' } });
    expectError(answer, 404, 'QueueNotFound');
    expect(answer.json.error.message).toContain('missing-q');
    expectError(
      await send(app, 'PUT', '/v1/schedules/x', { ...daily(), target: { topic: 'missing-t' } }),
      404,
      'TopicNotFound',
    );
  });
});

describe('bad schedule input never reaches the engine', () => {
  const strict = throwingEngine();
  const refusing = createApp({ engine: strict });
  const base = { cron: '0 9 * * *', target: { queue: 'q' }, message: { body: 1 } };

  it.each([
    ['neither cron nor everySeconds', { target: { queue: 'q' }, message: { body: 1 } }, /exactly one/],
    ['both', { ...base, everySeconds: 5 }, /exactly one/],
    ['six cron fields', { ...base, cron: '0 0 9 * * *' }, /cron/],
    ['a bad minute', { ...base, cron: '61 9 * * *' }, /cron/],
    ['an unknown zone', { ...base, timeZone: 'Mars/Base' }, /timeZone/],
    [
      'CRON_TZ against timeZone',
      { ...base, cron: 'CRON_TZ=Asia/Tokyo 0 9 * * *', timeZone: 'UTC' },
      /CRON_TZ/,
    ],
    [
      'timeZone with everySeconds',
      { everySeconds: 5, timeZone: 'UTC', target: { queue: 'q' }, message: { body: 1 } },
      /timeZone/,
    ],
    ['everySeconds 0', { everySeconds: 0, target: { queue: 'q' }, message: { body: 1 } }, /everySeconds/],
    [
      'a fractional everySeconds',
      { everySeconds: 1.5, target: { queue: 'q' }, message: { body: 1 } },
      /everySeconds/,
    ],
    ['no target', { cron: '0 9 * * *', message: { body: 1 } }, /target/],
    ['a target with both', { ...base, target: { queue: 'q', topic: 't' } }, /target/],
    ['a bad target name', { ...base, target: { queue: 'no spaces' } }, /target/],
    ['no message body', { ...base, message: {} }, /message.body/],
    ['a null body', { ...base, message: { body: null } }, /message.body/],
    [
      'a reserved attribute',
      { ...base, message: { body: 1, attributes: { 'postbox.firedAt': 'x' } } },
      /postbox\./,
    ],
    [
      '9 attributes',
      {
        ...base,
        message: {
          body: 1,
          attributes: Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`k${i}`, 'v'])),
        },
      },
      /message.attributes/,
    ],
    ['priority 10', { ...base, message: { body: 1, priority: 10 } }, /message.priority/],
    ['a bad start', { ...base, start: 'tomorrow' }, /start/],
    ['end before start', { ...base, start: '2026-12-02T10:00:00Z', end: '2026-12-02T09:00:00Z' }, /end/],
    ['paused not a boolean', { ...base, paused: 'yes' }, /paused/],
    ['an unknown field', { ...base, every: 5 }, /every/],
  ])('refuses %s with 400 ValidationError naming the field', async (_what, body, field) => {
    const answer = await send(refusing, 'PUT', '/v1/schedules/s', body);
    expectError(answer, 400, 'ValidationError');
    expect(answer.json.error.message).toMatch(field);
    expect(strict.calls).toEqual([]);
  });

  it('refuses a bad name (400), a fired message over 256 KiB (413), a limit out of range (400), another method (405)', async () => {
    expectError(await send(refusing, 'PUT', '/v1/schedules/bad%20name', base), 400, 'ValidationError');
    expectError(
      await send(refusing, 'PUT', '/v1/schedules/s', { ...base, message: { body: 'x'.repeat(262_100) } }),
      413,
      'PayloadTooLarge',
    );
    expectError(await send(refusing, 'GET', '/v1/schedules?limit=0'), 400, 'ValidationError');
    expectError(await send(refusing, 'POST', '/v1/schedules/s', base), 405, 'MethodNotAllowed');
    expect(strict.calls).toEqual([]);
  });
});
