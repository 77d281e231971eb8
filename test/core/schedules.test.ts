/**
 * Recurring schedules on DynamoDB Local with an injected clock: define, read, list, delete; fire
 * on time (cron, everySeconds, start/end, paused); exactly one message per firing with two engines
 * racing on one table, and after a crash on either side of the firing's transaction; one catch-up
 * for firings missed while everything was down; a target that refuses is skipped and reported.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoEngine } from '../../functions/core/dynamo-engine';
import type { Engine } from '../../functions/core/engine';
import type { ScheduleInput } from '../../functions/core/schedules/types';
import { testClient } from '../support/dynamo';
import { manualClock, queueName, testEngine } from '../support/engine';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

/** Every message of the queue, received with auto ack, oldest first. */
async function drain(engine: Engine, queue: string) {
  const messages: { body: unknown; attributes: Record<string, string> }[] = [];
  for (;;) {
    const batch = await engine.receive(queue, { maxMessages: 10, ack: 'auto' });
    if (batch.length === 0) return messages;
    messages.push(...batch.map(({ body, attributes }) => ({ body, attributes })));
  }
}
const firedAts = (messages: { attributes: Record<string, string> }[]) =>
  messages.map((message) => message.attributes['postbox.firedAt']);

async function setup(start = '2026-12-02T09:59:30.000Z') {
  const { engine, clock, client, tableName } = await testEngine(manualClock(at(start)));
  const queue = queueName('sched');
  await engine.putQueue(queue, {});
  return { engine, clock, client, tableName, queue };
}

const everyMinute = (queue: string, extra: Partial<ScheduleInput> = {}): ScheduleInput => ({
  cron: '* * * * *',
  target: { queue },
  message: { body: { report: 'daily' }, attributes: { kind: 'tick' } },
  ...extra,
});

describe('put, get, list, delete', () => {
  it('creates (created) then replaces, and answers the next 5 firings in UTC', async () => {
    const { engine, queue } = await setup();
    const first = await engine.putSchedule('nightly', {
      cron: 'CRON_TZ=Europe/Berlin 0 9 * * 1-5',
      target: { queue },
      message: { body: 'go' },
    });
    expect(first.created).toBe(true);
    expect(first.schedule).toMatchObject({
      name: 'nightly',
      cron: 'CRON_TZ=Europe/Berlin 0 9 * * 1-5',
      timeZone: 'Europe/Berlin',
      everySeconds: null,
      paused: false,
      lastFiredAt: null,
      lastError: null,
    });
    // Wednesday 2026-12-02 at 09:59:30Z is past 09:00 Berlin (08:00Z): the next is Thursday.
    expect(first.schedule.nextFirings.map(iso)).toEqual([
      '2026-12-03T08:00:00.000Z',
      '2026-12-04T08:00:00.000Z',
      '2026-12-07T08:00:00.000Z',
      '2026-12-08T08:00:00.000Z',
      '2026-12-09T08:00:00.000Z',
    ]);
    const again = await engine.putSchedule('nightly', {
      everySeconds: 30,
      target: { queue },
      message: { body: 1 },
    });
    expect(again.created).toBe(false);
    expect(again.schedule).toMatchObject({ cron: null, everySeconds: 30, timeZone: 'UTC' });
    expect(again.schedule.createdAt).toBe(first.schedule.createdAt);
    expect(await engine.getSchedule('nightly')).toEqual(again.schedule);
  });

  it('lists in name order with a cursor, and deletes (then NotFound)', async () => {
    const { engine, queue } = await setup();
    for (const name of ['b', 'a', 'c']) await engine.putSchedule(name, everyMinute(queue));
    const page1 = await engine.listSchedules({ limit: 2 });
    expect(page1.items.map((s) => s.name)).toEqual(['a', 'b']);
    const page2 = await engine.listSchedules({ limit: 2, cursor: page1.cursor ?? undefined });
    expect(page2.items.map((s) => s.name)).toEqual(['c']);
    expect(page2.cursor).toBeNull();
    await engine.deleteSchedule('b');
    await expect(engine.getSchedule('b')).rejects.toMatchObject({ code: 'NotFound' });
    await expect(engine.deleteSchedule('b')).rejects.toMatchObject({ code: 'NotFound' });
    await expect(engine.listSchedules({ limit: 10, cursor: 'bogus' })).rejects.toMatchObject({
      code: 'ValidationError',
    });
  });

  it('refuses a missing target, a group on a lifo queue, and a bad cron, writing nothing', async () => {
    const { engine, queue } = await setup();
    await expect(engine.putSchedule('s', everyMinute('nope'))).rejects.toMatchObject({
      code: 'QueueNotFound',
    });
    await expect(
      engine.putSchedule('s', { ...everyMinute(queue), target: { topic: 'nope' } }),
    ).rejects.toMatchObject({ code: 'TopicNotFound' });
    const lifo = queueName('lifo');
    await engine.putQueue(lifo, { order: 'lifo' });
    await expect(
      engine.putSchedule('s', { ...everyMinute(lifo), message: { body: 1, groupId: 'g' } }),
    ).rejects.toThrow(/message.groupId/);
    await expect(engine.putSchedule('s', { ...everyMinute(queue), cron: '* * *' })).rejects.toThrow(/cron:/);
    await expect(engine.getSchedule('s')).rejects.toMatchObject({ code: 'NotFound' });
  });
});

describe('firing', () => {
  it('publishes one message per firing, with postbox.schedule and postbox.firedAt', async () => {
    const { engine, clock, queue } = await setup();
    await engine.putSchedule('tick', everyMinute(queue));
    expect((await engine.runDueSchedules()).fired).toEqual([]);
    clock.set(at('2026-12-02T10:00:00.000Z'));
    const run = await engine.runDueSchedules();
    expect(run.fired).toHaveLength(1);
    expect(run.nextDueAt).toBe(at('2026-12-02T10:01:00.000Z'));
    const [message] = await drain(engine, queue);
    expect(message).toEqual({
      body: { report: 'daily' },
      attributes: { kind: 'tick', 'postbox.schedule': 'tick', 'postbox.firedAt': '2026-12-02T10:00:00.000Z' },
    });
    // Nothing more until the next minute.
    clock.set(at('2026-12-02T10:00:59.999Z'));
    expect((await engine.runDueSchedules()).fired).toEqual([]);
    const schedule = await engine.getSchedule('tick');
    expect(schedule.lastFiredAt).toBe(at('2026-12-02T10:00:00.000Z'));
    expect(schedule.nextFirings[0]).toBe(at('2026-12-02T10:01:00.000Z'));
  });

  it('publishes each everySeconds firing of a late run as its own message (the minute sweep)', async () => {
    const { engine, clock, queue } = await setup('2026-12-02T10:00:00.000Z');
    await engine.putSchedule('fast', { everySeconds: 10, target: { queue }, message: { body: 'x' } });
    clock.set(at('2026-12-02T10:00:59.000Z'));
    await engine.runDueSchedules();
    expect(firedAts(await drain(engine, queue))).toEqual([
      '2026-12-02T10:00:00.000Z',
      '2026-12-02T10:00:10.000Z',
      '2026-12-02T10:00:20.000Z',
      '2026-12-02T10:00:30.000Z',
      '2026-12-02T10:00:40.000Z',
      '2026-12-02T10:00:50.000Z',
    ]);
  });

  it('fires only within start and end, and not while paused; a resumed one starts from now', async () => {
    const { engine, clock, queue } = await setup('2026-12-02T10:00:00.000Z');
    await engine.putSchedule('window', {
      everySeconds: 60,
      target: { queue },
      message: { body: 'w' },
      start: at('2026-12-02T10:05:00.000Z'),
      end: at('2026-12-02T10:06:00.000Z'),
    });
    clock.set(at('2026-12-02T10:04:59.000Z'));
    await engine.runDueSchedules();
    clock.set(at('2026-12-02T10:05:00.000Z'));
    await engine.runDueSchedules();
    clock.set(at('2026-12-02T10:06:30.000Z'));
    await engine.runDueSchedules();
    clock.set(at('2026-12-02T10:09:00.000Z'));
    expect((await engine.runDueSchedules()).nextDueAt).toBeNull();
    expect(firedAts(await drain(engine, queue))).toEqual([
      '2026-12-02T10:05:00.000Z',
      '2026-12-02T10:06:00.000Z',
    ]);
    expect((await engine.getSchedule('window')).nextFirings).toEqual([]);

    await engine.putSchedule('p', everyMinute(queue, { paused: true }));
    expect((await engine.getSchedule('p')).nextFirings).toEqual([]);
    clock.set(at('2026-12-02T10:20:00.000Z'));
    await engine.runDueSchedules();
    expect(await drain(engine, queue)).toEqual([]);
    clock.set(at('2026-12-02T10:20:30.000Z'));
    const resumed = await engine.putSchedule('p', everyMinute(queue, { paused: false }));
    expect(resumed.schedule.nextFirings[0]).toBe(at('2026-12-02T10:21:00.000Z'));
  });

  it('keeps a due firing when the same definition is put again before it ran', async () => {
    const { engine, clock, queue } = await setup();
    await engine.putSchedule('same', everyMinute(queue));
    clock.set(at('2026-12-02T10:00:00.500Z'));
    await engine.putSchedule('same', everyMinute(queue, { message: { body: 'new text' } }));
    await engine.runDueSchedules();
    expect(await drain(engine, queue)).toEqual([
      expect.objectContaining({
        body: 'new text',
        attributes: expect.objectContaining({ 'postbox.firedAt': '2026-12-02T10:00:00.000Z' }),
      }),
    ]);
  });

  it('fans a topic target out to every matching subscribed queue', async () => {
    const { engine, clock, queue } = await setup();
    const other = queueName('other');
    await engine.putQueue(other, {});
    await engine.putTopic('events', [{ queue }, { queue: other, filter: { kind: ['other'] } }]);
    await engine.putSchedule('fan', { ...everyMinute(queue), target: { topic: 'events' } });
    clock.set(at('2026-12-02T10:00:00.000Z'));
    const run = await engine.runDueSchedules();
    expect(run.fired.map((f) => f.queue)).toEqual([queue]);
    expect(await drain(engine, queue)).toHaveLength(1);
    expect(await drain(engine, other)).toHaveLength(0);
  });

  it('skips a firing whose target refuses it, says why in lastError, and goes on', async () => {
    const { engine, clock, queue } = await setup();
    const bounded = queueName('full');
    await engine.putQueue(bounded, { maxMessages: 1 });
    await engine.publish(bounded, { body: 'filler' });
    await engine.putSchedule('full', everyMinute(bounded));
    await engine.putSchedule('gone', everyMinute(queue));
    await engine.deleteQueue(queue);
    clock.set(at('2026-12-02T10:00:00.000Z'));
    await engine.runDueSchedules();
    expect((await engine.getSchedule('full')).lastError).toEqual({
      code: 'QueueFull',
      message: expect.stringContaining(bounded),
      firedAt: at('2026-12-02T10:00:00.000Z'),
    });
    expect((await engine.getSchedule('gone')).lastError).toMatchObject({ code: 'QueueNotFound' });
    expect((await engine.getSchedule('gone')).nextFirings[0]).toBe(at('2026-12-02T10:01:00.000Z'));
    // Room again: the next firing publishes and clears the error.
    await drain(engine, bounded);
    clock.set(at('2026-12-02T10:01:00.000Z'));
    await engine.runDueSchedules();
    expect(await drain(engine, bounded)).toHaveLength(1);
    expect((await engine.getSchedule('full')).lastError).toBeNull();
  });
});

describe('exactly once', () => {
  it('publishes each firing once with two engines racing on one table, dedup window 0', async () => {
    const { engine, clock, tableName } = await setup('2026-12-02T10:00:00.000Z');
    const queue = queueName('race');
    await engine.putQueue(queue, { deduplicationWindowSeconds: 0 });
    const rival = new DynamoEngine({ client: testClient(), tableName, clock });
    await engine.putSchedule('race', { everySeconds: 1, target: { queue }, message: { body: 'r' } });
    for (let second = 0; second < 12; second++) {
      clock.set(at('2026-12-02T10:00:00.000Z') + second * 1000 + 500);
      await Promise.all([engine.runDueSchedules(), rival.runDueSchedules(), engine.runDueSchedules()]);
    }
    const fired = firedAts(await drain(engine, queue));
    expect(fired).toHaveLength(12);
    expect(new Set(fired).size).toBe(12);
  });

  it('publishes a firing whose transaction never ran (crash before it) on the next run', async () => {
    const { engine, clock, tableName, queue } = await setup();
    const crashing = crashingClient('before');
    const doomed = new DynamoEngine({ client: crashing.client, tableName, clock });
    await engine.putSchedule('crash', everyMinute(queue));
    clock.set(at('2026-12-02T10:00:00.000Z'));
    crashing.arm();
    await expect(doomed.runDueSchedules()).rejects.toThrow(/crash/);
    expect(await drain(engine, queue)).toEqual([]);
    clock.set(at('2026-12-02T10:00:20.000Z'));
    await engine.runDueSchedules();
    expect(firedAts(await drain(engine, queue))).toEqual(['2026-12-02T10:00:00.000Z']);
  });

  it('does not publish again after a crash that lost the answer of a committed firing', async () => {
    const { engine, clock, tableName, queue } = await setup();
    const crashing = crashingClient('after');
    const doomed = new DynamoEngine({ client: crashing.client, tableName, clock });
    await engine.putSchedule('crash', everyMinute(queue));
    clock.set(at('2026-12-02T10:00:00.000Z'));
    crashing.arm();
    await expect(doomed.runDueSchedules()).rejects.toThrow(/crash/);
    await engine.runDueSchedules();
    await doomed.runDueSchedules();
    expect(firedAts(await drain(engine, queue))).toEqual(['2026-12-02T10:00:00.000Z']);
  });
});

describe('missed firings', () => {
  it('publishes one catch-up (the latest missed firing) on recovery, then continues', async () => {
    const { engine, clock, queue } = await setup();
    await engine.putSchedule('hourly', { ...everyMinute(queue), cron: '0 * * * *' });
    // Everything down from 09:59:30 to 14:10: the 10:00 … 14:00 firings were missed.
    clock.set(at('2026-12-02T14:10:00.000Z'));
    const run = await engine.runDueSchedules();
    expect(run.nextDueAt).toBe(at('2026-12-02T15:00:00.000Z'));
    expect(firedAts(await drain(engine, queue))).toEqual(['2026-12-02T14:00:00.000Z']);
    clock.set(at('2026-12-02T15:00:00.000Z'));
    await engine.runDueSchedules();
    expect(firedAts(await drain(engine, queue))).toEqual(['2026-12-02T15:00:00.000Z']);
  });
});

/**
 * A client whose first TransactWriteItems after `arm()` "crashes": before it is sent ('before'),
 * or after DynamoDB committed it, losing the answer ('after').
 */
function crashingClient(when: 'before' | 'after'): { client: DynamoDBClient; arm(): void } {
  const client = testClient();
  let armed = false;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (!armed || context.commandName !== 'TransactWriteItemsCommand') return next(args);
      armed = false;
      if (when === 'after') await next(args);
      throw new Error(`crash ${when} the transaction`);
    },
    { step: 'initialize' },
  );
  return {
    client,
    arm: () => {
      armed = true;
    },
  };
}
