/**
 * Model-based check of flow control: random sequences of publishes, receives (through either of
 * two engines on one table, manual or auto ack), clock moves, pauses, resumes and rate-limit
 * changes, against a reference that keeps the rate limit as a classic token bucket (credit in
 * milliseconds, refilled by the clock, capped at the burst) — a different formulation from the
 * engine's GCRA state in the store. After every receive, exactly the messages the bucket allows
 * (and none while paused) must have come, in publish order, each with receiveCount 1.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import type { Engine } from '../../../functions/core/engine';
import type { RateLimit } from '../../../functions/core/types';
import type { ManualClock } from '../../support/engine';
import { queueName } from '../../support/engine';

interface LimitsReal {
  /** engines[0] makes the configuration changes (its cache sees its own at once); engines[1]
   * reads the configuration on every call. Receives go through either. */
  engines: Engine[];
  queue: string;
}

/** The reference: ready messages in publish order, the pause flag and a token bucket. */
class LimitsModel {
  ready: number[] = [];
  inFlight = 0;
  published = 0;
  paused = false;
  limit: RateLimit | null;
  /** Credit in milliseconds of refill (one token = one period), for the limit it was kept for. */
  private bucket: { credit: number; at: number; period: number; burst: number } | undefined;

  constructor(
    limit: RateLimit | null,
    private readonly clock: ManualClock,
  ) {
    this.limit = limit;
  }

  private shape(limit: RateLimit) {
    return { period: 1000 / limit.perSecond, burst: limit.burst ?? Math.max(1, Math.ceil(limit.perSecond)) };
  }

  /** Tokens available now (Infinity without a limit). */
  tokens(): number {
    if (!this.limit) return Number.POSITIVE_INFINITY;
    const { period, burst } = this.shape(this.limit);
    const kept = this.bucket;
    // A bucket never used, or kept for another limit, is full.
    if (!kept || kept.period !== period || kept.burst !== burst) return burst;
    const credit = Math.min(burst * period, kept.credit + (this.clock() - kept.at));
    return Math.floor(credit / period);
  }

  take(n: number): void {
    if (!this.limit || n === 0) return;
    const { period, burst } = this.shape(this.limit);
    const kept = this.bucket;
    const credit =
      kept && kept.period === period && kept.burst === burst
        ? Math.min(burst * period, kept.credit + (this.clock() - kept.at))
        : burst * period;
    this.bucket = { credit: credit - n * period, at: this.clock(), period, burst };
  }
}

type LimitsCommand = fc.AsyncCommand<LimitsModel, LimitsReal>;

class Publish implements LimitsCommand {
  constructor(readonly count: number) {}
  check = () => true;
  async run(model: LimitsModel, real: LimitsReal) {
    const bodies = Array.from({ length: this.count }, (_, i) => model.published + i);
    const results = await (real.engines[0] as Engine).publishBatch(
      real.queue,
      bodies.map((body) => ({ body })),
    );
    expect(results.every((result) => result.ok)).toBe(true);
    model.published += this.count;
    model.ready.push(...bodies);
  }
  toString() {
    return `publish(${this.count})`;
  }
}

class Receive implements LimitsCommand {
  constructor(
    readonly engine: number,
    readonly maxMessages: number,
    readonly ack: 'manual' | 'auto',
  ) {}
  check = () => true;
  async run(model: LimitsModel, real: LimitsReal) {
    const expected = model.paused ? 0 : Math.min(this.maxMessages, model.ready.length, model.tokens());
    const got = await (real.engines[this.engine] as Engine).receive(real.queue, {
      maxMessages: this.maxMessages,
      ack: this.ack,
      visibilityTimeoutSeconds: 3_600,
    });
    const bodies = model.ready.splice(0, expected);
    model.take(expected);
    if (this.ack === 'manual') model.inFlight += expected;
    expect(
      got.map((m) => [m.body, m.receiveCount]),
      'what the bucket allows, in order, counted once',
    ).toEqual(bodies.map((body) => [body, 1]));
  }
  toString() {
    return `receive(engine ${this.engine}, max ${this.maxMessages}, ${this.ack})`;
  }
}

class Advance implements LimitsCommand {
  constructor(
    readonly ms: number,
    readonly clock: ManualClock,
  ) {}
  check = () => true;
  async run() {
    this.clock.advance(this.ms);
  }
  toString() {
    return `advance(${this.ms} ms)`;
  }
}

class SetPaused implements LimitsCommand {
  constructor(readonly paused: boolean) {}
  check = () => true;
  async run(model: LimitsModel, real: LimitsReal) {
    const engine = real.engines[0] as Engine;
    await (this.paused ? engine.pauseQueue(real.queue) : engine.resumeQueue(real.queue));
    model.paused = this.paused;
  }
  toString() {
    return this.paused ? 'pause()' : 'resume()';
  }
}

class SetLimit implements LimitsCommand {
  constructor(readonly limit: RateLimit | null) {}
  check = () => true;
  async run(model: LimitsModel, real: LimitsReal) {
    await (real.engines[0] as Engine).putQueue(real.queue, { rateLimit: this.limit });
    model.limit = this.limit;
  }
  toString() {
    return `setRateLimit(${JSON.stringify(this.limit)})`;
  }
}

class Counts implements LimitsCommand {
  constructor(readonly engine: number) {}
  check = () => true;
  async run(model: LimitsModel, real: LimitsReal) {
    const queue = await (real.engines[this.engine] as Engine).getQueue(real.queue);
    expect(queue.paused).toBe(model.paused);
    expect(queue.rateLimit ?? null).toEqual(model.limit);
    expect(queue.counts).toMatchObject({ ready: model.ready.length, inFlight: model.inFlight, delayed: 0 });
  }
  toString() {
    return `counts(engine ${this.engine})`;
  }
}

// Periods of whole milliseconds keep the reference's arithmetic exact.
const limitArbitrary: fc.Arbitrary<RateLimit | null> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(null) },
  {
    weight: 4,
    arbitrary: fc.record(
      { perSecond: fc.constantFrom(0.5, 1, 2, 4, 5, 10), burst: fc.constantFrom(1, 2, 3, 7) },
      { requiredKeys: ['perSecond'] },
    ),
  },
);

function commands(clock: ManualClock): fc.Arbitrary<LimitsCommand>[] {
  const receive = fc
    .tuple(
      fc.constantFrom(0, 1),
      fc.integer({ min: 1, max: 10 }),
      fc.constantFrom<'manual' | 'auto'>('manual', 'auto'),
    )
    .map(([engine, max, ack]) => new Receive(engine, max, ack));
  const publish = fc.integer({ min: 1, max: 8 }).map((count) => new Publish(count));
  return [
    publish,
    publish,
    receive,
    receive,
    receive,
    fc.constantFrom(0, 1, 99, 100, 250, 500, 1_000, 4_000).map((ms) => new Advance(ms, clock)),
    fc.constantFrom(0, 100, 250, 1_000).map((ms) => new Advance(ms, clock)),
    fc.boolean().map((paused) => new SetPaused(paused)),
    limitArbitrary.map((limit) => new SetLimit(limit)),
    fc.constantFrom(0, 1).map((engine) => new Counts(engine)),
  ];
}

/** Runs `numRuns` random sequences, each on a new queue (deleted afterwards). */
export async function checkLimits(
  engines: Engine[],
  clock: ManualClock,
  numRuns: number,
  timeLimitMs: number,
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(
      limitArbitrary,
      fc.integer({ min: 0, max: 30 }),
      fc.commands(commands(clock), { maxCommands: 40, size: 'max' }),
      async (limit, backlog, sequence) => {
        const queue = queueName('limits');
        await (engines[0] as Engine).putQueue(queue, { rateLimit: limit });
        try {
          const model = new LimitsModel(limit, clock);
          const real = { engines, queue };
          // A backlog to start from, so receives meet the limit rather than an empty queue.
          for (let left = backlog; left > 0; left -= 10)
            await new Publish(Math.min(10, left)).run(model, real);
          await fc.asyncModelRun(() => ({ model, real }), sequence);
        } finally {
          await (engines[0] as Engine).deleteQueue(queue);
        }
      },
    ),
    {
      numRuns,
      endOnFailure: false,
      plugins: [fc.interruptAfterTimeLimit(timeLimitMs, { failOnInterrupt: true })],
    },
  );
}

// ---------------------------------------------------------------------------------------------
// groupLimits.maxInFlight and perSecond: a reference of groups as lists, with the rules of
// docs/api.md ("Group limits"): a group's oldest members are receivable, at most its cap; a
// waiting member starts when one of its group leaves; a limit reaches a group with its next
// publish; a group that started under a limit of 1 without perSecond stays strict (and unpaced)
// until it is empty. With perSecond (every `per` ms) each member's start is at least one period
// after the one before it (burst 1): a member that may not start yet is a delayed timer, received
// after the ready ones once due; a group emptied before its next start keeps its pace.
// In a keyed run the queue's groupLimits carry `key: 'tenant'` throughout, and some publishes
// name their group by that attribute instead of a groupId (limit-group.ts): the same group.

interface Member {
  body: number;
  /** When it may first be received. */
  start: number;
  /** Stored as a delayed timer (start was ahead when it entered the range), not as ready. */
  timer: boolean;
}

interface GroupRef {
  /** The receivable members (oldest first), then `waiting` ones behind them. */
  active: Member[];
  waiting: number[];
  cap: number;
  strict: boolean;
  /** The group's next start (paced groups). */
  tat?: number;
}

interface GroupLimit {
  cap: number;
  /** Milliseconds per start; none: not paced. */
  per?: number;
}

class GroupLimitsModel {
  groups = new Map<string, GroupRef>();
  inFlight = new Map<number, string>(); // body → receipt
  published = 0;
  constructor(
    public limit: GroupLimit,
    private readonly clock: ManualClock,
  ) {}

  /** The member as it enters the range now: its start paced by the group's tat. */
  private enter(group: GroupRef, body: number): Member {
    const now = this.clock();
    const per = this.limit.per;
    if (per === undefined) return { body, start: now, timer: false };
    const start = Math.max(now, group.tat ?? now);
    group.tat = start + per;
    return { body, start, timer: start > now };
  }

  join(group: string, body: number): void {
    const found = this.groups.get(group);
    if (!found) {
      const strict = this.limit.cap === 1 && this.limit.per === undefined;
      const started: GroupRef = { active: [], waiting: [], cap: this.limit.cap, strict };
      started.active.push(this.enter(started, body));
      this.groups.set(group, started);
      return;
    }
    if (!found.strict) found.cap = this.limit.cap;
    const room = found.active.length < found.cap;
    if (found.waiting.length === 0 && room && !found.strict) found.active.push(this.enter(found, body));
    else found.waiting.push(body);
  }

  leave(body: number): void {
    for (const [name, group] of this.groups) {
      const at = group.active.findIndex((member) => member.body === body);
      if (at < 0) continue;
      group.active.splice(at, 1);
      if (group.strict) {
        const next = group.waiting.shift();
        if (next !== undefined) group.active.push({ body: next, start: this.clock(), timer: false });
      } else {
        const slots = Math.max(0, group.cap - group.active.length);
        for (const next of group.waiting.splice(0, Math.min(slots, group.waiting.length)))
          group.active.push(this.enter(group, next));
      }
      // An emptied paced group is kept while its next start is ahead.
      const kept = !group.strict && group.tat !== undefined && group.tat > this.clock();
      if (group.active.length === 0 && group.waiting.length === 0 && !kept) this.groups.delete(name);
      return;
    }
  }

  /**
   * What a receive of `max` gets, as receive.ts finds it: a window of the index (ready members
   * oldest first, then due timers by due time; max·2 + 4 entries), in delivery order.
   */
  received(max: number): number[] {
    const now = this.clock();
    const members = [...this.groups.values()].flatMap((group) =>
      group.active.filter((member) => !this.inFlight.has(member.body) && member.start <= now),
    );
    const ready = members.filter((m) => !m.timer).sort((a, b) => a.body - b.body);
    const due = members.filter((m) => m.timer).sort((a, b) => a.start - b.start || a.body - b.body);
    return [...ready, ...due]
      .slice(0, max * 2 + 4)
      .map((member) => member.body)
      .sort((a, b) => a - b)
      .slice(0, max);
  }

  total(): number {
    return [...this.groups.values()].reduce((sum, g) => sum + g.active.length + g.waiting.length, 0);
  }
}

interface GroupReal extends LimitsReal {
  /** groupLimits.key of a keyed run. */
  key?: string;
}

type GroupCommand = fc.AsyncCommand<GroupLimitsModel, GroupReal>;

const LIMIT_KEY = 'tenant';

class GroupPublish implements GroupCommand {
  constructor(
    readonly group: string,
    readonly byKey = false,
  ) {}
  check = () => true;
  async run(model: GroupLimitsModel, real: GroupReal) {
    const body = model.published++;
    const named =
      this.byKey && real.key !== undefined
        ? { attributes: { [real.key]: this.group } }
        : { groupId: this.group };
    await (real.engines[0] as Engine).publish(real.queue, { body, ...named });
    model.join(this.group, body);
  }
  toString() {
    return `publish(${this.group}${this.byKey ? ', by key' : ''})`;
  }
}

class GroupReceive implements GroupCommand {
  constructor(
    readonly engine: number,
    readonly maxMessages: number,
  ) {}
  check = () => true;
  async run(model: GroupLimitsModel, real: LimitsReal) {
    const expected = model.received(this.maxMessages);
    const got = await (real.engines[this.engine] as Engine).receive(real.queue, {
      maxMessages: this.maxMessages,
      visibilityTimeoutSeconds: 3_600,
    });
    expect(
      got.map((m) => [m.body, m.receiveCount]),
      "the groups' oldest up to their cap, at their pace, in order, counted once",
    ).toEqual(expected.map((body) => [body, 1]));
    for (const message of got) model.inFlight.set(message.body as number, message.receipt as string);
  }
  toString() {
    return `receive(engine ${this.engine}, max ${this.maxMessages})`;
  }
}

class GroupAck implements GroupCommand {
  constructor(
    readonly engine: number,
    readonly pick: number,
  ) {}
  check = (model: Readonly<GroupLimitsModel>) => model.inFlight.size > 0;
  async run(model: GroupLimitsModel, real: LimitsReal) {
    const held = [...model.inFlight.keys()];
    const body = held[this.pick % held.length] as number;
    await (real.engines[this.engine] as Engine).ack(real.queue, model.inFlight.get(body) as string);
    model.inFlight.delete(body);
    model.leave(body);
  }
  toString() {
    return `ack(engine ${this.engine}, #${this.pick})`;
  }
}

/** A key alone is a strict group per value, as null is per groupId. */
const groupLimitsOf = (limit: GroupLimit, key?: string) =>
  limit.cap === 1 && limit.per === undefined && key === undefined
    ? null
    : {
        ...(limit.cap === 1 ? {} : { maxInFlight: limit.cap }),
        ...(limit.per === undefined ? {} : { perSecond: 1000 / limit.per }),
        ...(key === undefined ? {} : { key }),
      };

class SetGroupLimit implements GroupCommand {
  constructor(readonly limit: GroupLimit) {}
  check = () => true;
  async run(model: GroupLimitsModel, real: GroupReal) {
    await (real.engines[0] as Engine).putQueue(real.queue, {
      groupLimits: groupLimitsOf(this.limit, real.key),
    });
    model.limit = this.limit;
  }
  toString() {
    return `setGroupLimits(${JSON.stringify(groupLimitsOf(this.limit))})`;
  }
}

class GroupAdvance implements GroupCommand {
  constructor(
    readonly ms: number,
    readonly clock: ManualClock,
  ) {}
  check = () => true;
  async run() {
    this.clock.advance(this.ms);
  }
  toString() {
    return `advance(${this.ms} ms)`;
  }
}

class GroupCounts implements GroupCommand {
  check = () => true;
  async run(model: GroupLimitsModel, real: LimitsReal) {
    const { counts } = await (real.engines[0] as Engine).getQueue(real.queue);
    expect(counts).toMatchObject({ inFlight: model.inFlight.size, total: model.total() });
  }
  toString() {
    return 'counts()';
  }
}

/** Runs `numRuns` random sequences of grouped publishes, receives, acks, clock moves and limit changes. */
export async function checkGroupLimits(
  engines: Engine[],
  clock: ManualClock,
  numRuns: number,
  timeLimitMs: number,
): Promise<void> {
  // Periods of whole milliseconds (perSecond 4, 2, 1) keep the reference's arithmetic exact.
  const limit = fc.record(
    { cap: fc.constantFrom(1, 2, 3, 5), per: fc.constantFrom(250, 500, 1000) },
    { requiredKeys: ['cap'] },
  );
  const group = fc.constantFrom('a', 'b', 'c');
  await fc.assert(
    fc.asyncProperty(
      limit,
      fc.boolean(),
      fc.commands(
        [
          group.map((name) => new GroupPublish(name)),
          fc.tuple(group, fc.boolean()).map(([name, byKey]) => new GroupPublish(name, byKey)),
          fc
            .tuple(fc.constantFrom(0, 1), fc.integer({ min: 1, max: 10 }))
            .map(([engine, max]) => new GroupReceive(engine, max)),
          fc.tuple(fc.constantFrom(0, 1), fc.nat(20)).map(([engine, pick]) => new GroupAck(engine, pick)),
          fc.tuple(fc.constantFrom(0, 1), fc.nat(20)).map(([engine, pick]) => new GroupAck(engine, pick)),
          fc.constantFrom(0, 1, 249, 250, 500, 1_000, 3_000).map((ms) => new GroupAdvance(ms, clock)),
          limit.map((value) => new SetGroupLimit(value)),
          fc.constant(new GroupCounts()),
        ],
        { maxCommands: 40, size: 'max' },
      ),
      async (start, keyed, sequence) => {
        const queue = queueName('glimits');
        const key = keyed ? LIMIT_KEY : undefined;
        await (engines[0] as Engine).putQueue(queue, { groupLimits: groupLimitsOf(start, key) });
        try {
          await fc.asyncModelRun(
            () => ({
              model: new GroupLimitsModel(start, clock),
              real: { engines, queue, ...(key === undefined ? {} : { key }) },
            }),
            sequence,
          );
        } finally {
          await (engines[0] as Engine).deleteQueue(queue);
        }
      },
    ),
    {
      numRuns,
      endOnFailure: false,
      plugins: [fc.interruptAfterTimeLimit(timeLimitMs, { failOnInterrupt: true })],
    },
  );
}
