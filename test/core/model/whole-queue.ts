/**
 * Commands that look at a whole queue (browse) or at the dead-letter queue, the command mix of a
 * run, and the checks every run ends with.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import type { Engine } from '../../../functions/core/engine';
import type { MessageView } from '../../../functions/core/types';
import { expectBrowse } from './checks';
import {
  ack,
  advance,
  advanceToDue,
  advanceWithoutDueWork,
  type Command,
  Counts,
  counts,
  deleteMessage,
  extend,
  getMessage,
  publish,
  publishBatch,
  type Real,
  receive,
  receiveChecked,
  release,
  reschedule,
  runDueWork,
  runDueWorkCommand,
} from './commands';
import { purge, recreate, switchEngine, updateConfig } from './lifecycle';
import { publishToTopic, putTopic, redrive, redriveBack, redriveMessage } from './redrive-topics';
import type { Order, QueueModel } from './reference';

const hasDeadLetterQueue = (model: Readonly<QueueModel>) => model.deadLetters !== null;

async function browseAll(engine: Engine, queue: string): Promise<MessageView[]> {
  const views: MessageView[] = [];
  let cursor: string | undefined;
  do {
    const page = await engine.browse(queue, { state: 'all', limit: 100, ...(cursor ? { cursor } : {}) });
    views.push(...page.items);
    cursor = page.cursor ?? undefined;
  } while (cursor);
  return views;
}

/** Browses the queue, or its dead-letter queue, without changing anything. */
class Browse implements Command {
  constructor(readonly deadLetters: boolean) {}
  check = (model: Readonly<QueueModel>) => !this.deadLetters || hasDeadLetterQueue(model);
  async run(model: QueueModel, real: Real) {
    const target = this.deadLetters ? (model.deadLetters?.queue as QueueModel) : model;
    expectBrowse(target, await browseAll(real.engine, target.queue));
  }
  toString() {
    return this.deadLetters ? 'browseDeadLetters()' : 'browse()';
  }
}

/** Takes dead letters out of the dead-letter queue (auto ack): in order, with their deadLetter. */
class ReceiveDeadLetters implements Command {
  constructor(readonly maxMessages: number) {}
  check = hasDeadLetterQueue;
  async run(model: QueueModel, real: Real) {
    await receiveChecked(model.deadLetters?.queue as QueueModel, real.engine, {
      maxMessages: this.maxMessages,
      ack: 'auto',
    });
  }
  toString() {
    return `receiveDeadLetters(max ${this.maxMessages}, auto)`;
  }
}

const weighted = <T>(weight: number, arbitrary: fc.Arbitrary<T>) =>
  Array.from({ length: weight }, () => arbitrary);

/** Every command, weighted by repetition (fc.commands picks among the arbitraries uniformly). */
export function queueCommands(order: Order): fc.Arbitrary<Command>[] {
  return [
    ...weighted(5, publish(order)),
    ...weighted(2, publishBatch(order)),
    ...weighted(6, receive),
    ...weighted(3, ack),
    ...weighted(3, release),
    ...weighted(2, extend),
    advance,
    ...weighted(3, advanceWithoutDueWork),
    ...weighted(2, advanceToDue),
    runDueWorkCommand,
    deleteMessage,
    getMessage,
    ...weighted(2, reschedule),
    ...weighted(2, counts),
    fc.constant(new Browse(false)),
    fc.constant(new Browse(true)),
    fc.integer({ min: 1, max: 3 }).map((max) => new ReceiveDeadLetters(max)),
    purge,
    recreate,
    updateConfig,
    ...weighted(2, switchEngine),
    ...weighted(3, redrive),
    redriveMessage,
    putTopic,
    ...weighted(2, publishToTopic(order)),
  ];
}

/** Receives with auto ack until nothing is left, checking every answer; the model ends empty. */
async function drain(model: QueueModel, engine: Engine): Promise<void> {
  for (;;) {
    const got = await receiveChecked(model, engine, { maxMessages: 10, ack: 'auto' });
    if (got.length === 0) break;
  }
  expect([...model.messages.keys()], `${model.queue} drained`).toEqual([]);
}

/** The checks every run ends with, whatever its commands did. */
export async function finalCheck(model: QueueModel, real: Real): Promise<void> {
  const deadLetters = model.deadLetters?.queue;
  model.clock.advance(3_600_000);
  await runDueWork(model, real);
  await new Counts().run(model, real);
  // The dead letters go back (a run seldom has some when a redrive command comes): redriven
  // messages are fresh ones again, checked by the drain below.
  if (deadLetters && [...deadLetters.messages.values()].some((m) => m.deadLetter !== null)) {
    await redriveBack(model, real);
    await runDueWork(model, real);
  }
  // Everything left is now due and comes out in exact delivery order, group by group.
  await drain(model, real.engine);
  if (deadLetters && deadLetters.messages.size > 0) {
    // Dead letters the timed work moved above join the ready range with its next run.
    if (deadLetters.dueTimers().length > 0) await runDueWork(model, real);
    expectBrowse(deadLetters, await browseAll(real.engine, deadLetters.queue));
    await drain(deadLetters, real.engine);
  }
  // Nothing is left behind, not even out of reach of receives.
  await new Counts().run(model, real);
}
