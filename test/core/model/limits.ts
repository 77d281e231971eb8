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
// groupLimits.maxInFlight: a reference of groups as lists, with the rules of docs/api.md
// ("Group limits"): a group's oldest members are receivable, at most its cap; a waiting member
// starts when one of its group leaves; a limit reaches a group with its next publish; a group that
// started under a limit of 1 stays strict until it is empty.

interface GroupRef {
  /** Bodies of the receivable members (oldest first), then `waiting` ones behind them. */
  active: number[];
  waiting: number[];
  cap: number;
  strict: boolean;
}

class GroupLimitsModel {
  groups = new Map<string, GroupRef>();
  inFlight = new Map<number, string>(); // body → receipt
  published = 0;
  constructor(public limit: number) {}

  join(group: string, body: number): void {
    const found = this.groups.get(group);
    if (!found) {
      this.groups.set(group, { active: [body], waiting: [], cap: this.limit, strict: this.limit === 1 });
      return;
    }
    if (!found.strict) found.cap = this.limit;
    const room = found.strict ? found.active.length < 1 : found.active.length < found.cap;
    if (found.waiting.length === 0 && room && !found.strict) found.active.push(body);
    else found.waiting.push(body);
  }

  leave(body: number): void {
    for (const [name, group] of this.groups) {
      const at = group.active.indexOf(body);
      if (at < 0) continue;
      group.active.splice(at, 1);
      const slots = group.strict ? 1 : Math.max(0, group.cap - group.active.length);
      group.active.push(...group.waiting.splice(0, Math.min(slots, group.waiting.length)));
      if (group.active.length === 0) this.groups.delete(name);
      return;
    }
  }

  /** Receivable and not in flight, oldest first (one priority, fifo). */
  ready(): number[] {
    return [...this.groups.values()]
      .flatMap((group) => group.active.filter((body) => !this.inFlight.has(body)))
      .sort((a, b) => a - b);
  }

  total(): number {
    return [...this.groups.values()].reduce((sum, g) => sum + g.active.length + g.waiting.length, 0);
  }
}

type GroupCommand = fc.AsyncCommand<GroupLimitsModel, LimitsReal>;

class GroupPublish implements GroupCommand {
  constructor(readonly group: string) {}
  check = () => true;
  async run(model: GroupLimitsModel, real: LimitsReal) {
    const body = model.published++;
    await (real.engines[0] as Engine).publish(real.queue, { body, groupId: this.group });
    model.join(this.group, body);
  }
  toString() {
    return `publish(${this.group})`;
  }
}

class GroupReceive implements GroupCommand {
  constructor(
    readonly engine: number,
    readonly maxMessages: number,
  ) {}
  check = () => true;
  async run(model: GroupLimitsModel, real: LimitsReal) {
    const expected = model.ready().slice(0, this.maxMessages);
    const got = await (real.engines[this.engine] as Engine).receive(real.queue, {
      maxMessages: this.maxMessages,
      visibilityTimeoutSeconds: 3_600,
    });
    expect(
      got.map((m) => [m.body, m.receiveCount]),
      "the groups' oldest up to their cap, in order, counted once",
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

class SetGroupLimit implements GroupCommand {
  constructor(readonly limit: number) {}
  check = () => true;
  async run(model: GroupLimitsModel, real: LimitsReal) {
    await (real.engines[0] as Engine).putQueue(real.queue, {
      groupLimits: this.limit === 1 ? null : { maxInFlight: this.limit },
    });
    model.limit = this.limit;
  }
  toString() {
    return `setMaxInFlight(${this.limit})`;
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

/** Runs `numRuns` random sequences of grouped publishes, receives, acks and limit changes. */
export async function checkGroupLimits(
  engines: Engine[],
  numRuns: number,
  timeLimitMs: number,
): Promise<void> {
  const limit = fc.constantFrom(1, 2, 3, 5);
  const group = fc.constantFrom('a', 'b', 'c');
  await fc.assert(
    fc.asyncProperty(
      limit,
      fc.commands(
        [
          group.map((name) => new GroupPublish(name)),
          group.map((name) => new GroupPublish(name)),
          fc
            .tuple(fc.constantFrom(0, 1), fc.integer({ min: 1, max: 10 }))
            .map(([engine, max]) => new GroupReceive(engine, max)),
          fc.tuple(fc.constantFrom(0, 1), fc.nat(20)).map(([engine, pick]) => new GroupAck(engine, pick)),
          fc.tuple(fc.constantFrom(0, 1), fc.nat(20)).map(([engine, pick]) => new GroupAck(engine, pick)),
          limit.map((value) => new SetGroupLimit(value)),
          fc.constant(new GroupCounts()),
        ],
        { maxCommands: 40, size: 'max' },
      ),
      async (start, sequence) => {
        const queue = queueName('glimits');
        await (engines[0] as Engine).putQueue(queue, {
          groupLimits: start === 1 ? null : { maxInFlight: start },
        });
        try {
          await fc.asyncModelRun(
            () => ({ model: new GroupLimitsModel(start), real: { engines, queue } }),
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
