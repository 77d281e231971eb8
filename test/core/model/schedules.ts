/**
 * Model-based check of recurring schedules: random sequences of schedule puts (cron in UTC or
 * everySeconds, start/end, paused), deletes, clock moves (small ones, and gaps long enough to be
 * "missed") and runs of the due firings (on one engine, or on two engines on one table at once),
 * against a small reference model written independently of the engine's timing code: cron
 * firings by matching each minute, every firings by stepping. After every step the published
 * messages (schedule, firedAt) and every schedule's nextFirings must equal the model's: each
 * firing published exactly once, a gap published as its one latest firing.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { DynamoEngine } from '../../../functions/core/dynamo-engine';
import type { ScheduleInput } from '../../../functions/core/schedules/types';
import { testClient } from '../../support/dynamo';
import { manualClock, queueName, testEngine } from '../../support/engine';

const MINUTE = 60_000;
const CATCH_UP_AFTER_MS = 120_000;
const START = Date.parse('2026-12-02T10:00:00.000Z');
const NAMES = ['alpha', 'beta', 'gamma'] as const;

/** Minute fields the reference understands (hour, day, month, weekday all `*`), with their minutes. */
const CRONS: Record<string, (minute: number) => boolean> = {
  '* * * * *': () => true,
  '*/2 * * * *': (m) => m % 2 === 0,
  '15,45 * * * *': (m) => m === 15 || m === 45,
  '0 * * * *': (m) => m === 0,
};

interface Spec {
  cron?: string;
  everySeconds?: number;
  /** Offsets from the run's start, ms. */
  start?: number;
  end?: number;
  paused: boolean;
}

interface ModelSchedule {
  spec: Spec;
  createdAt: number;
  nextAt: number | null;
  lastFiredAt: number | null;
}

/** The reference: firing times by brute force, the policy in plain steps. */
class ScheduleModel {
  readonly schedules = new Map<string, ModelSchedule>();
  readonly published: string[] = [];
  constructor(readonly now: () => number) {}

  private anchor(s: ModelSchedule) {
    return s.spec.start !== undefined ? START + s.spec.start : s.createdAt;
  }

  /** The first firing strictly after `t`, or null. */
  after(s: ModelSchedule, t: number): number | null {
    const start = s.spec.start === undefined ? Number.NEGATIVE_INFINITY : START + s.spec.start;
    const end = s.spec.end === undefined ? Number.POSITIVE_INFINITY : START + s.spec.end;
    let next: number | null = null;
    if (s.spec.everySeconds !== undefined) {
      for (let at = this.anchor(s); next === null; at += s.spec.everySeconds * 1000) {
        if (at > t && at >= start) next = at;
      }
    } else {
      const matches = CRONS[s.spec.cron as string] as (minute: number) => boolean;
      for (let at = Math.floor(t / MINUTE) * MINUTE + MINUTE; next === null; at += MINUTE) {
        if (at >= start && matches(new Date(at).getUTCMinutes())) next = at;
      }
    }
    return next <= end ? next : null;
  }

  put(name: string, spec: Spec) {
    const old = this.schedules.get(name);
    const s: ModelSchedule = {
      spec,
      createdAt: old?.createdAt ?? this.now(),
      nextAt: null,
      lastFiredAt: old?.lastFiredAt ?? null,
    };
    const sameTiming =
      old !== undefined &&
      old.spec.cron === spec.cron &&
      old.spec.everySeconds === spec.everySeconds &&
      old.spec.start === spec.start &&
      old.spec.end === spec.end;
    if (spec.paused) s.nextAt = null;
    else if (old && !old.spec.paused && old.nextAt !== null && sameTiming) s.nextAt = old.nextAt;
    else {
      const from = this.after(s, this.now() - 1);
      s.nextAt =
        from !== null && s.lastFiredAt !== null && from <= s.lastFiredAt
          ? this.after(s, s.lastFiredAt)
          : from;
    }
    this.schedules.set(name, s);
  }

  run() {
    const now = this.now();
    for (const [name, s] of this.schedules) {
      if (s.spec.paused || s.nextAt === null || s.nextAt > now) continue;
      const firings: number[] = [];
      if (now - s.nextAt > CATCH_UP_AFTER_MS) {
        let latest = s.nextAt;
        for (let at = this.after(s, latest); at !== null && at <= now; at = this.after(s, at)) latest = at;
        firings.push(latest);
      } else {
        for (let at: number | null = s.nextAt; at !== null && at <= now; at = this.after(s, at))
          firings.push(at);
      }
      for (const at of firings) this.published.push(`${name}@${new Date(at).toISOString()}`);
      const last = firings.at(-1) as number;
      s.lastFiredAt = last;
      s.nextAt = this.after(s, last);
    }
  }

  nextFirings(name: string): string[] {
    const s = this.schedules.get(name);
    if (!s || s.spec.paused || s.nextAt === null) return [];
    const out: string[] = [];
    for (let at: number | null = s.nextAt; at !== null && out.length < 5; at = this.after(s, at)) {
      out.push(new Date(at).toISOString());
    }
    return out;
  }
}

type Step =
  | { kind: 'put'; name: string; spec: Spec }
  | { kind: 'delete'; name: string }
  | { kind: 'advance'; ms: number }
  | { kind: 'run'; racing: boolean };

const specArbitrary: fc.Arbitrary<Spec> = fc
  .record({
    timing: fc.oneof(
      fc.constantFrom(...Object.keys(CRONS)).map((cron) => ({ cron })),
      fc.constantFrom(5, 7, 30, 60, 90).map((everySeconds) => ({ everySeconds })),
    ),
    start: fc.option(fc.integer({ min: 0, max: 20 * MINUTE }), { nil: undefined }),
    length: fc.option(fc.integer({ min: 0, max: 60 * MINUTE }), { nil: undefined }),
    paused: fc.oneof(
      { weight: 4, arbitrary: fc.constant(false) },
      { weight: 1, arbitrary: fc.constant(true) },
    ),
  })
  .map(({ timing, start, length, paused }) => ({
    ...timing,
    ...(start === undefined ? {} : { start }),
    ...(length === undefined ? {} : { end: (start ?? 0) + length }),
    paused,
  }));

const putArbitrary: fc.Arbitrary<Step> = fc.record({
  kind: fc.constant('put' as const),
  name: fc.constantFrom(...NAMES),
  spec: specArbitrary,
});

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('put' as const),
      name: fc.constantFrom(...NAMES),
      spec: specArbitrary,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('delete' as const), name: fc.constantFrom(...NAMES) }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.oneof(
        { weight: 3, arbitrary: fc.integer({ min: 1, max: 90_000 }) },
        // Gaps: just over the catch-up threshold, and long ones.
        { weight: 1, arbitrary: fc.integer({ min: 2 * MINUTE, max: 6 * MINUTE }) },
        { weight: 1, arbitrary: fc.integer({ min: 6 * MINUTE, max: 40 * MINUTE }) },
      ),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('run' as const), racing: fc.boolean() }) },
);

function inputOf(spec: Spec, queue: string): ScheduleInput {
  return {
    ...(spec.cron !== undefined ? { cron: spec.cron } : { everySeconds: spec.everySeconds as number }),
    ...(spec.start !== undefined ? { start: START + spec.start } : {}),
    ...(spec.end !== undefined ? { end: START + spec.end } : {}),
    paused: spec.paused,
    target: { queue },
    message: { body: 'fired' },
  };
}

/** One random sequence on a fresh table, two engines (two processes) on it. */
async function runSteps(steps: Step[]): Promise<void> {
  const clock = manualClock(START);
  const { engine, tableName } = await testEngine(clock);
  const rival = new DynamoEngine({ client: testClient(), tableName, clock, configCacheMs: 0 });
  const queue = queueName('model-sched');
  await engine.putQueue(queue, { deduplicationWindowSeconds: 0 });
  const model = new ScheduleModel(clock);
  const published: string[] = [];

  for (const step of steps) {
    if (step.kind === 'put') {
      await engine.putSchedule(step.name, inputOf(step.spec, queue));
      model.put(step.name, step.spec);
    } else if (step.kind === 'delete') {
      const exists = model.schedules.delete(step.name);
      const deleting = engine.deleteSchedule(step.name);
      if (exists) await deleting;
      else await expect(deleting).rejects.toMatchObject({ code: 'NotFound' });
    } else if (step.kind === 'advance') {
      clock.advance(step.ms);
    } else {
      await Promise.all(
        step.racing ? [engine.runDueSchedules(), rival.runDueSchedules()] : [engine.runDueSchedules()],
      );
      model.run();
    }
    for (;;) {
      const batch = await engine.receive(queue, { maxMessages: 10, ack: 'auto' });
      if (batch.length === 0) break;
      for (const m of batch)
        published.push(`${m.attributes['postbox.schedule']}@${m.attributes['postbox.firedAt']}`);
    }
    expect([...published].sort(), `published after ${JSON.stringify(step)}`).toEqual(
      [...model.published].sort(),
    );
    for (const name of model.schedules.keys()) {
      const real = (await engine.getSchedule(name)).nextFirings.map((at) => new Date(at).toISOString());
      expect(real, `nextFirings of ${name} after ${JSON.stringify(step)}`).toEqual(model.nextFirings(name));
    }
  }
}

/** Runs `numRuns` random sequences of up to `maxSteps` steps within `timeLimitMs`. */
export async function checkSchedules(numRuns: number, maxSteps: number, timeLimitMs: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(
      // Every run starts with a schedule, so that most runs have something to fire.
      fc.tuple(putArbitrary, fc.array(stepArbitrary, { minLength: 3, maxLength: maxSteps, size: 'medium' })),
      ([first, rest]) => runSteps([first, ...rest]),
    ),
    {
      numRuns,
      endOnFailure: false,
      plugins: [fc.interruptAfterTimeLimit(timeLimitMs, { failOnInterrupt: true })],
    },
  );
}
