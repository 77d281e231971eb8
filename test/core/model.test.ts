/**
 * Model-based test of the engine: random sequences of publishes, receives, acks, releases,
 * extends, cancels, counts and clock moves, run against DynamoEngine on DynamoDB Local and against
 * a small in-memory model of the contract (test/core/model/reference.ts), compared after every step.
 * Each run works on a new queue; the clock is injected and moved by hand.
 */
import fc from 'fast-check';
import { beforeAll, describe, it } from 'vitest';
import type { DynamoEngine } from '../../functions/core/dynamo-engine';
import { type ManualClock, queueName, testEngine } from '../support/engine';
import { finalCheck, queueCommands, type Real } from './model/commands';
import { type ModelConfig, type Order, QueueModel } from './model/reference';

let engine: DynamoEngine;
let clock: ManualClock;

beforeAll(async () => {
  ({ engine, clock } = await testEngine());
});

const NUM_RUNS = 25;
const MAX_COMMANDS = 30;

function queueConfig(order: Order): fc.Arbitrary<ModelConfig> {
  return fc.record({
    order: fc.constant(order),
    visibilityTimeoutSeconds: fc.integer({ min: 1, max: 60 }),
    delaySeconds: fc.oneof(
      { weight: 4, arbitrary: fc.constant(0) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 30 }) },
    ),
  });
}

async function check(order: Order): Promise<void> {
  await fc.assert(
    fc.asyncProperty(
      queueConfig(order),
      fc.commands(queueCommands, { maxCommands: MAX_COMMANDS, size: 'max' }),
      async (config, commands) => {
        const queue = queueName(order);
        await engine.putQueue(queue, config);
        const model = new QueueModel(queue, config, clock);
        const real: Real = { engine, queue };
        try {
          await fc.asyncModelRun(() => ({ model, real }), commands);
          await finalCheck(model, real);
        } finally {
          // Keeps the timed work (which visits every queue) as cheap in the last run as in the first.
          await engine.deleteQueue(queue);
        }
      },
    ),
    { numRuns: NUM_RUNS, endOnFailure: false },
  );
}

describe('the engine behaves like the reference model of the contract', () => {
  it('on a fifo queue: order, receiveCount, receipts, leases, delays and counts', { timeout: 120_000 }, () =>
    check('fifo'),
  );

  it('on a lifo queue: reverse publish order among equal priorities', { timeout: 120_000 }, () =>
    check('lifo'),
  );
});
