/**
 * Model-based test of the engine: random sequences of publishes (with message groups,
 * deduplication ids and attributes), receives, acks, releases, extends, cancels, reschedules,
 * browses, counts and clock moves, run against DynamoEngine on DynamoDB Local and against a small
 * in-memory model of the contract (test/core/model/reference.ts), compared after every step. Most
 * runs give the queue a dead-letter queue, whose contents and counts are checked too.
 * Runs also update the configuration (and switch a bound on), purge, delete and re-create the
 * queue, run some queues bounded (far above what a run publishes), and switch between two
 * engines (two processes on one table); redrive the dead-letter queue back and the queue `to` it;
 * and put a topic over the queues (one of them always full) and publish to it. Each run works on new queues; the clock is injected and
 * moved by hand. Flow control (pause, resume, rateLimit) has its own model: test/core/model/limits.ts.
 */
import fc from 'fast-check';
import { beforeAll, describe, it } from 'vitest';
import { DynamoEngine } from '../../functions/core/dynamo-engine';
import { testClient } from '../support/dynamo';
import { type ManualClock, queueName, testEngine } from '../support/engine';
import type { Real } from './model/commands';
import { checkGroupLimits, checkLimits } from './model/limits';
import { type ModelConfig, type Order, QueueModel } from './model/reference';
import { checkSchedules } from './model/schedules';
import { checkShards } from './model/shards';
import { finalCheck, queueCommands } from './model/whole-queue';

let engine: DynamoEngine;
/** Another process on the same table: its own client, claims, signals and (no) cache. */
let other: DynamoEngine;
let clock: ManualClock;

beforeAll(async () => {
  const setup = await testEngine();
  ({ engine, clock } = setup);
  other = new DynamoEngine({ client: testClient(), tableName: setup.tableName, clock, configCacheMs: 0 });
});

const MAX_COMMANDS = 60;

interface RunConfig {
  queue: ModelConfig;
  deadLetters: { maxReceiveCount: number; order: Order } | null;
}

function runConfig(order: Order): fc.Arbitrary<RunConfig> {
  return fc.record({
    queue: fc.record({
      order: fc.constant(order),
      visibilityTimeoutSeconds: fc.integer({ min: 1, max: 60 }),
      delaySeconds: fc.oneof(
        { weight: 4, arbitrary: fc.constant(0) },
        { weight: 1, arbitrary: fc.integer({ min: 1, max: 30 }) },
      ),
      deduplicationWindowSeconds: fc.constantFrom(0, 30, 300),
      maxMessages: fc.constantFrom(0, 0, 1_000),
    }),
    deadLetters: fc.oneof(
      { weight: 1, arbitrary: fc.constant(null) },
      {
        weight: 3,
        arbitrary: fc.record({
          maxReceiveCount: fc.constantFrom(1, 1, 2, 3),
          order: fc.constantFrom<Order>('fifo', 'fifo', 'lifo'),
        }),
      },
    ),
  });
}

/** The run's queues on the engine and in the model; `cleanUp` deletes them again. */
async function createQueues(config: RunConfig) {
  const queue = queueName(config.queue.order);
  const dlq = config.deadLetters ? queueName('dlq') : null;
  const fullQueue = queueName('full');
  const topic = queueName('topic');
  const created: string[] = [];
  const cleanUp = async () => {
    await engine.deleteTopic(topic).catch((error: { code?: string }) => {
      if (error.code !== 'TopicNotFound') throw error;
    });
    // Keeps the timed work (which visits every queue) as cheap in the last run as in the first.
    for (const name of created.reverse()) await engine.deleteQueue(name);
  };
  await engine.putQueue(fullQueue, { maxMessages: 1 });
  created.push(fullQueue);
  await engine.publish(fullQueue, { body: 'fills it' });
  if (dlq && config.deadLetters) {
    await engine.putQueue(dlq, { order: config.deadLetters.order });
    created.push(dlq);
  }
  await engine
    .putQueue(queue, {
      ...config.queue,
      deadLetterQueue: dlq,
      maxReceiveCount: config.deadLetters?.maxReceiveCount ?? null,
    })
    .catch(async (error: unknown) => {
      await cleanUp();
      throw error;
    });
  created.push(queue);
  const deadLetters =
    dlq && config.deadLetters
      ? {
          queue: new QueueModel(
            dlq,
            {
              order: config.deadLetters.order,
              visibilityTimeoutSeconds: 30,
              delaySeconds: 0,
              deduplicationWindowSeconds: 300,
            },
            clock,
          ),
          maxReceiveCount: config.deadLetters.maxReceiveCount,
        }
      : null;
  // A copy: configuration updates change the model's (the generated value stays as generated).
  const model = new QueueModel(queue, { ...config.queue }, clock, deadLetters);
  const fields = {
    ...config.queue,
    deadLetterQueue: dlq,
    maxReceiveCount: config.deadLetters?.maxReceiveCount ?? null,
  };
  const real: Real = {
    engine,
    engines: [engine, other],
    queue,
    deadLetterQueue: dlq,
    fullQueue,
    topic,
    fields,
  };
  return { model, real, cleanUp };
}

/**
 * Runs `numRuns` random command sequences. A run stops at `timeLimitMs` (a loaded machine, or a
 * long shrink): reported as a failure, with the smallest counterexample found so far, before the
 * test's own timeout could hide it.
 */
async function check(order: Order, numRuns: number, timeLimitMs: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(
      runConfig(order),
      fc.commands(queueCommands(order), { maxCommands: MAX_COMMANDS, size: 'max' }),
      async (config, commands) => {
        const { model, real, cleanUp } = await createQueues(config);
        try {
          await fc.asyncModelRun(() => ({ model, real }), commands);
          await finalCheck(model, real);
        } finally {
          await cleanUp();
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

describe('the engine behaves like the reference model of the contract', () => {
  it(
    'on a fifo queue: order, groups, receiveCount, receipts, leases, delays, duplicates, dead letters and counts',
    { timeout: 240_000 },
    () => check('fifo', 12, 220_000),
  );

  it(
    'on a lifo queue: reverse publish order among equal priorities, duplicates and dead letters',
    { timeout: 150_000 },
    () => check('lifo', 8, 130_000),
  );

  it(
    'on a queue with flow control: pause, resume and the rate limit deliver exactly what the token bucket allows',
    { timeout: 150_000 },
    () => checkLimits([engine, other], clock, 15, 130_000),
  );

  it(
    "on a queue with flow control: groupLimits.maxInFlight and perSecond start each group's oldest, never more than its cap nor faster than its pace, across two engines",
    { timeout: 150_000 },
    () => checkGroupLimits([engine, other], clock, 15, 130_000),
  );

  it(
    'on a sharded queue growing its shards: per-group order, no loss, no duplicates, exact counts',
    { timeout: 150_000 },
    () =>
      checkShards([engine, other], clock, () => queueName('sharded'), { numRuns: 8, timeLimitMs: 130_000 }),
  );
});

describe('recurring schedules behave like their reference model', () => {
  it(
    'each firing published once (two engines racing too), one catch-up after a gap, nextFirings',
    { timeout: 150_000 },
    () => checkSchedules(12, 25, 130_000),
  );
});
