/**
 * The due tracker on DynamoDB Local with a clock the test moves: it wakes at the due times this
 * process's own calls imply (a delayed publish, a lease end), forgets purged and deleted queues,
 * catches what another engine wrote on the same table with its paced sweep, and an idle tracker's
 * requests do not grow with the number of queues (counted, not timed).
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoEngine } from '../../functions/core/dynamo-engine';
import { messageKey, queueMetaKey } from '../../functions/core/keys';
import { DueTracker, type DueTrackerOptions } from '../../functions/local/due-tracker';
import { TrackedEngine } from '../../functions/local/tracked-engine';
import { freshTable } from '../support/dynamo';
import { type ManualClock, manualClock, queueName } from '../support/engine';
import { countRequests } from '../support/request-counter';

const HOUR = 3_600_000;

async function setUp(options: Partial<DueTrackerOptions> = {}) {
  const clock = manualClock();
  const { client, tableName } = await freshTable();
  const counter = countRequests(client);
  const engine = new DynamoEngine({ client, tableName, clock });
  // The sweep out of the way unless a test asks for it.
  const tracker = new DueTracker({
    engine,
    clock,
    sweepSpacingMs: HOUR,
    sweepCycleMs: HOUR,
    log: () => {},
    ...options,
  });
  const tracked = new TrackedEngine(engine, tracker, clock);
  /** Another process on the same table: nothing it does reaches this tracker. */
  const other = new DynamoEngine({ client, tableName, clock });

  /** Reads a message's stored state (what the timed work changes; receives read past it by time). */
  async function storedState(queue: string, id: string): Promise<string> {
    const meta = unmarshall(
      (await client.send(new GetItemCommand({ TableName: tableName, Key: marshall(queueMetaKey(queue)) })))
        .Item ?? {},
    );
    const { Item } = await client.send(
      new GetItemCommand({ TableName: tableName, Key: marshall(messageKey(queue, String(meta.inc), id)) }),
    );
    return String(unmarshall(Item ?? {}).state);
  }

  /** The start-up pass over every queue, as the timer would run it. */
  async function finishStartupPass(): Promise<void> {
    for (let step = 0; !tracker.startupPassDone && step < 10_000; step++) {
      clock.set(Math.max(clock(), tracker.nextWakeAt()));
      await tracker.runDue();
    }
  }

  /** Moves the clock to `until`, running the tracker at each of its wake times on the way. */
  async function idleUntil(until: number): Promise<number> {
    let runs = 0;
    for (let wake = tracker.nextWakeAt(); wake <= until; wake = tracker.nextWakeAt()) {
      clock.set(Math.max(clock(), wake));
      await tracker.runDue();
      runs++;
    }
    clock.set(until);
    return runs;
  }

  return { clock, counter, engine, tracker, tracked, other, storedState, finishStartupPass, idleUntil };
}

type Setup = Awaited<ReturnType<typeof setUp>>;

describe('DueTracker', () => {
  let t: Setup;
  let clock: ManualClock;
  beforeEach(async () => {
    t = await setUp();
    clock = t.clock;
    await t.finishStartupPass();
  });

  it('wakes at the due time of a delayed publish, and promotes the message then', async () => {
    const queue = queueName();
    await t.tracked.putQueue(queue, {});
    const published = await t.tracked.publish(queue, { body: 'later', delaySeconds: 10 });
    expect(t.tracker.nextWakeAt()).toBe(published.deliverAt + 5);

    // Before the due time there is nothing to do: no request at all.
    clock.set(published.deliverAt - 1);
    t.counter.take();
    await t.tracker.runDue();
    expect(t.counter.take().total).toBe(0);
    expect(await t.storedState(queue, published.id)).toBe('delayed');

    clock.set(t.tracker.nextWakeAt());
    await t.tracker.runDue();
    expect(await t.storedState(queue, published.id)).toBe('ready');
    // The queue has no timer left: the tracker sleeps until its sweep.
    expect(t.tracker.nextWakeAt()).toBeGreaterThan(clock() + HOUR / 2);
  });

  it('wakes at the end of a lease taken here, and makes the message ready again', async () => {
    const queue = queueName();
    await t.tracked.putQueue(queue, { visibilityTimeoutSeconds: 20 });
    const { id } = await t.tracked.publish(queue, { body: 'work' });
    const [message] = await t.tracked.receive(queue, { maxMessages: 1 });
    expect(message?.id).toBe(id);
    const leaseEnd = clock() + 20_000;
    expect(t.tracker.nextWakeAt()).toBe(leaseEnd + 5);
    expect(await t.storedState(queue, id)).toBe('inFlight');

    clock.set(t.tracker.nextWakeAt());
    await t.tracker.runDue();
    expect(await t.storedState(queue, id)).toBe('ready');
  });

  it('learns the store’s next timer when it runs a queue, so several delayed messages each get their run', async () => {
    const queue = queueName();
    await t.tracked.putQueue(queue, {});
    const first = await t.tracked.publish(queue, { body: 1, delaySeconds: 10 });
    const second = await t.tracked.publish(queue, { body: 2, delaySeconds: 20 });
    clock.set(first.deliverAt + 5);
    await t.tracker.runDue();
    expect(await t.storedState(queue, first.id)).toBe('ready');
    expect(t.tracker.nextWakeAt()).toBe(second.deliverAt + 5);
    clock.set(second.deliverAt + 5);
    await t.tracker.runDue();
    expect(await t.storedState(queue, second.id)).toBe('ready');
  });

  it('forgets a purged queue and a deleted queue: no run at their old due times', async () => {
    const purged = queueName();
    const deleted = queueName();
    await t.tracked.putQueue(purged, {});
    await t.tracked.putQueue(deleted, {});
    await t.tracked.publish(purged, { body: 'p', delaySeconds: 10 });
    await t.tracked.publish(deleted, { body: 'd', delaySeconds: 10 });
    expect(t.tracker.nextWakeAt()).toBeLessThan(clock() + 11_000);

    await t.tracked.purgeQueue(purged);
    await t.tracked.deleteQueue(deleted);
    expect(t.tracker.nextWakeAt()).toBeGreaterThan(clock() + HOUR / 2);
    clock.advance(11_000);
    t.counter.take();
    await t.tracker.runDue();
    expect(t.counter.take().total).toBe(0);
  });

  it.each([
    ['groupId', {}, { groupId: 'g' }],
    ['groupLimits.key', { groupLimits: { key: 'tenant' } }, { attributes: { tenant: 'g' } }],
  ] as const)(
    'keeps the due time of a delayed group member behind its head (group by %s), though running the queue meanwhile does not see it',
    async (_, config, named) => {
      const queue = queueName();
      await t.tracked.putQueue(queue, { visibilityTimeoutSeconds: 5, ...config });
      await t.tracked.publish(queue, { body: 'head', ...named });
      const member = await t.tracked.publish(queue, { body: 'member', ...named, delaySeconds: 30 });
      const [head] = await t.tracked.receive(queue, { maxMessages: 1 });
      // The lease ends first: the queue runs, and the store shows no timer of the waiting member.
      clock.set(t.tracker.nextWakeAt());
      await t.tracker.runDue();
      // The head is received again, at most once (no lease to note): the member becomes the head,
      // delayed until its time, and nothing this process did since says so.
      const [again] = await t.tracked.receive(queue, { maxMessages: 1, ack: 'auto' });
      expect(again?.id).toBe(head?.id);
      expect(await t.storedState(queue, member.id)).toBe('delayed');

      await t.idleUntil(member.deliverAt + 5);
      expect(await t.storedState(queue, member.id)).toBe('ready');
    },
  );
});

describe('DueTracker, what this process did not write', () => {
  it('the start-up pass learns the next timer of every queue', async () => {
    const t = await setUp();
    const queue = queueName();
    await t.other.putQueue(queue, {});
    const published = await t.other.publish(queue, { body: 'before start', delaySeconds: 30 });
    await t.finishStartupPass();
    expect(t.tracker.nextWakeAt()).toBe(published.deliverAt + 5);
    await t.idleUntil(published.deliverAt + 5);
    expect(await t.storedState(queue, published.id)).toBe('ready');
  });

  it('the paced sweep catches a delayed message another engine published on the same table', async () => {
    const t = await setUp({ sweepSpacingMs: 5_000, sweepCycleMs: 5_000 });
    const queue = queueName();
    await t.tracked.putQueue(queue, {});
    await t.finishStartupPass();
    const published = await t.other.publish(queue, { body: 'elsewhere', delaySeconds: 1 });
    // Not learned here: at its due time the tracker has nothing to do for it.
    t.clock.set(published.deliverAt + 100);
    await t.tracker.runDue();
    expect(await t.storedState(queue, published.id)).toBe('delayed');
    // Within one sweep spacing (one queue), the sweep runs the queue and promotes it.
    await t.idleUntil(published.deliverAt + 5_100);
    expect(await t.storedState(queue, published.id)).toBe('ready');
  });

  it('an idle tracker with many queues holding delayed messages sends at most 2 requests a second: the sweep’s pace, not the queues’', async () => {
    const idleRequests = async (queues: number) => {
      const t = await setUp({ sweepSpacingMs: 5_000, sweepCycleMs: 60_000 });
      const names = Array.from({ length: queues }, () => queueName('idle'));
      for (const queue of names) {
        await t.other.putQueue(queue, {});
        await t.other.publish(queue, { body: 'in an hour', delaySeconds: 3_600 });
      }
      await t.finishStartupPass();
      t.counter.take();
      const from = t.clock();
      await t.idleUntil(from + 60_000);
      return t.counter.take().total / 60;
    };
    const few = await idleRequests(1);
    const many = await idleRequests(30);
    // One queue every 5 s at most (30 queues in 60 s would be one every 2 s): about 5 requests
    // a step, whatever the number of queues; polling them would be 30 queries a round.
    expect(many).toBeLessThanOrEqual(2);
    expect(few).toBeLessThanOrEqual(many);
  }, 120_000);
});
