/**
 * The commands of the model-based test: each one acts on the engine and on the reference model,
 * and checks that the engine answered what the contract says the model's state implies.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import type { Engine } from '../../../functions/core/engine';
import type { DeliveredMessage, PublishInput } from '../../../functions/core/types';
import type { IssuedReceipt, ModelMessage, QueueModel } from './reference';

export interface Real {
  engine: Engine;
  queue: string;
}

type Command = fc.AsyncCommand<QueueModel, Real>;

const always = () => true;

/** Which receipt to use: one that still holds (when there is one), or any issued so far. */
interface ReceiptPick {
  index: number;
  held: boolean;
}

function pickReceipt(model: QueueModel, pick: ReceiptPick): IssuedReceipt | undefined {
  const held = model.receipts.filter((r) => model.holderOf(r) !== undefined);
  const pool = pick.held && held.length > 0 ? held : model.receipts;
  return pool[pick.index % pool.length];
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  await expect(promise).rejects.toMatchObject({ code });
}

// ---------------------------------------------------------------------------------------------
// Inputs

const body = fc.oneof(
  fc.integer(),
  fc.string({ maxLength: 12 }),
  fc.jsonValue({ maxDepth: 2 }).filter((value) => value !== null),
);

const publishInput: fc.Arbitrary<PublishInput> = fc.record(
  {
    body,
    priority: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 9 })),
    delaySeconds: fc.oneof(
      { weight: 2, arbitrary: fc.constant(0) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 90 }) },
    ),
  },
  { requiredKeys: ['body'] },
);

function describeInput(input: PublishInput): string {
  const parts = [JSON.stringify(input.body)];
  if (input.priority !== undefined) parts.push(`priority ${input.priority}`);
  if (input.delaySeconds !== undefined) parts.push(`delay ${input.delaySeconds}s`);
  return parts.join(', ');
}

function checkPublished(model: QueueModel, message: ModelMessage, deliverAt: number, duplicate: boolean) {
  expect(duplicate).toBe(false);
  expect(deliverAt, 'deliverAt is the effective due time').toBe(
    message.stored === 'ready' ? message.publishedAt : message.dueAt,
  );
  expect(model.ids.indexOf(message.id), 'message ids are unique').toBe(model.ids.length - 1);
}

// ---------------------------------------------------------------------------------------------
// Publishing

class Publish implements Command {
  constructor(readonly input: PublishInput) {}
  check = always;
  async run(model: QueueModel, real: Real) {
    const result = await real.engine.publish(real.queue, this.input);
    const message = model.publish(result.id, this.input);
    checkPublished(model, message, result.deliverAt, result.duplicate);
  }
  toString() {
    return `publish(${describeInput(this.input)})`;
  }
}

class PublishBatch implements Command {
  constructor(readonly inputs: PublishInput[]) {}
  check = always;
  async run(model: QueueModel, real: Real) {
    const results = await real.engine.publishBatch(real.queue, this.inputs);
    expect(results).toHaveLength(this.inputs.length);
    results.forEach((entry, i) => {
      if (!entry.ok) throw entry.error;
      const message = model.publish(entry.value.id, this.inputs[i] as PublishInput);
      checkPublished(model, message, entry.value.deliverAt, entry.value.duplicate);
    });
  }
  toString() {
    return `publishBatch([${this.inputs.map(describeInput).join(' | ')}])`;
  }
}

// ---------------------------------------------------------------------------------------------
// Receiving

/**
 * Checks which messages a receive delivered, and in which order. With every due message in the
 * ready range the order is exact: the best `max` ready messages, best first. While some due
 * messages have not been moved there by the timed work yet, those may be passed over in favour
 * of later ready ones, but nothing else changes: as many messages as are ready (up to `max`),
 * each of them ready, in delivery order among themselves, and the ready-range ones are exactly the
 * best of the ready range.
 */
function expectDelivered(model: QueueModel, max: number, got: DeliveredMessage[]): ModelMessage[] {
  const ready = model.ready();
  const gotIds = got.map((m) => m.id);
  expect(got.length, `delivered ${gotIds} of ${ready.length} ready`).toBe(Math.min(max, ready.length));
  if (!ready.some((m) => model.isUnpromoted(m))) {
    expect(gotIds, 'delivery order').toEqual(ready.slice(0, max).map((m) => m.id));
    return ready.slice(0, max);
  }
  const byId = new Map(ready.map((m) => [m.id, m]));
  const delivered = gotIds.map((id) => {
    const message = byId.get(id);
    expect(message, `delivered ${id} is ready`).toBeDefined();
    return message as ModelMessage;
  });
  expect(new Set(gotIds).size, 'no message twice in one receive').toBe(gotIds.length);
  expect(gotIds, 'one receive answers in delivery order').toEqual(
    [...delivered].sort(model.compare).map((m) => m.id),
  );
  const fromReadyRange = delivered.filter((m) => !model.isUnpromoted(m)).map((m) => m.id);
  const readyRange = ready.filter((m) => !model.isUnpromoted(m)).map((m) => m.id);
  expect(fromReadyRange, 'the ready range is taken best first').toEqual(
    readyRange.slice(0, fromReadyRange.length),
  );
  return delivered;
}

function expectMessageFields(model: QueueModel, message: ModelMessage, got: DeliveredMessage) {
  expect(JSON.stringify(got.body), 'body').toBe(message.body);
  expect(got.receiveCount, `receiveCount of ${message.id}`).toBe(message.receiveCount + 1);
  expect(got.priority).toBe(message.priority);
  expect(got.publishedAt).toBe(message.publishedAt);
  expect(got.groupId).toBeNull();
  expect(got.deadLetter).toBeNull();
  expect(got.attributes).toEqual({});
  expect(model.ids).toContain(got.id);
}

class Receive implements Command {
  constructor(
    readonly maxMessages: number,
    readonly visibilityTimeoutSeconds: number | undefined,
    readonly ack: 'manual' | 'auto',
  ) {}
  check = always;
  async run(model: QueueModel, real: Real) {
    const got = await real.engine.receive(real.queue, {
      maxMessages: this.maxMessages,
      ack: this.ack,
      ...(this.visibilityTimeoutSeconds === undefined
        ? {}
        : { visibilityTimeoutSeconds: this.visibilityTimeoutSeconds }),
    });
    const delivered = expectDelivered(model, this.maxMessages, got);
    const visibility = this.visibilityTimeoutSeconds ?? model.config.visibilityTimeoutSeconds;
    delivered.forEach((message, i) => {
      const m = got[i] as DeliveredMessage;
      expectMessageFields(model, message, m);
      if (this.ack === 'auto') {
        expect(m.receipt, 'no receipt with auto ack').toBeUndefined();
        model.remove(message.id);
      } else {
        expect(typeof m.receipt).toBe('string');
        expect(
          model.receipts.map((r) => r.receipt),
          'a new receipt per delivery',
        ).not.toContain(m.receipt);
        model.lease(message, m.receipt as string, visibility);
      }
    });
  }
  toString() {
    const vis = this.visibilityTimeoutSeconds === undefined ? '' : `, vis ${this.visibilityTimeoutSeconds}s`;
    return `receive(max ${this.maxMessages}, ${this.ack}${vis})`;
  }
}

// ---------------------------------------------------------------------------------------------
// What a receipt can do

const hasReceipts = (model: Readonly<QueueModel>) => model.receipts.length > 0;

class Ack implements Command {
  constructor(readonly pick: ReceiptPick) {}
  check = hasReceipts;
  async run(model: QueueModel, real: Real) {
    const issued = pickReceipt(model, this.pick) as IssuedReceipt;
    const held = model.holderOf(issued);
    if (!held) return expectCode(real.engine.ack(real.queue, issued.receipt), 'ReceiptExpired');
    await real.engine.ack(real.queue, issued.receipt);
    model.remove(held.id);
  }
  toString() {
    return `ack(receipt #${this.pick.index}${this.pick.held ? ', a held one' : ''})`;
  }
}

class Release implements Command {
  constructor(
    readonly pick: ReceiptPick,
    readonly delaySeconds: number,
  ) {}
  check = hasReceipts;
  async run(model: QueueModel, real: Real) {
    const issued = pickReceipt(model, this.pick) as IssuedReceipt;
    const held = model.holderOf(issued);
    const call = real.engine.release(real.queue, issued.receipt, this.delaySeconds);
    if (!held) return expectCode(call, 'ReceiptExpired');
    await call;
    model.release(held, this.delaySeconds);
  }
  toString() {
    return `release(receipt #${this.pick.index}${this.pick.held ? ', a held one' : ''}, delay ${this.delaySeconds}s)`;
  }
}

class Extend implements Command {
  constructor(
    readonly pick: ReceiptPick,
    readonly visibilityTimeoutSeconds: number,
  ) {}
  check = hasReceipts;
  async run(model: QueueModel, real: Real) {
    const issued = pickReceipt(model, this.pick) as IssuedReceipt;
    const held = model.holderOf(issued);
    const call = real.engine.extend(real.queue, issued.receipt, this.visibilityTimeoutSeconds);
    if (!held) return expectCode(call, 'ReceiptExpired');
    const { leaseExpiresAt } = await call;
    expect(leaseExpiresAt).toBe(model.extend(held, this.visibilityTimeoutSeconds));
  }
  toString() {
    return `extend(receipt #${this.pick.index}${this.pick.held ? ', a held one' : ''}, vis ${this.visibilityTimeoutSeconds}s)`;
  }
}

// ---------------------------------------------------------------------------------------------
// Time

/** Moves the clock, then runs the timed work as the local server would within 250 ms. */
class Advance implements Command {
  constructor(readonly ms: number) {}
  check = always;
  async run(model: QueueModel, real: Real) {
    model.clock.advance(this.ms);
    await real.engine.runDueWork();
    model.promote();
  }
  toString() {
    return `advance(${this.ms} ms)`;
  }
}

/** Moves the clock to just before, exactly at, or just after a pending due time (lease end or delay). */
class AdvanceToDue implements Command {
  constructor(
    readonly index: number,
    readonly offsetMs: -1 | 0 | 1,
  ) {}
  check = always;
  async run(model: QueueModel, real: Real) {
    const due = model.pendingDueTimes();
    const target = due[this.index % Math.max(1, due.length)];
    const ms = target === undefined ? 1_000 : Math.max(0, target + this.offsetMs - model.now());
    model.clock.advance(ms);
    await real.engine.runDueWork();
    model.promote();
  }
  toString() {
    return `advanceToDue(#${this.index}, ${this.offsetMs >= 0 ? '+' : ''}${this.offsetMs} ms)`;
  }
}

class RunDueWork implements Command {
  check = always;
  async run(model: QueueModel, real: Real) {
    await real.engine.runDueWork();
    model.promote();
  }
  toString() {
    return 'runDueWork()';
  }
}

// ---------------------------------------------------------------------------------------------
// Looking and cancelling

const hasMessages = (model: Readonly<QueueModel>) => model.ids.length > 0;

class DeleteMessage implements Command {
  constructor(readonly index: number) {}
  check = hasMessages;
  async run(model: QueueModel, real: Real) {
    const id = model.ids[this.index % model.ids.length] as string;
    const call = real.engine.deleteMessage(real.queue, id);
    if (!model.messages.has(id)) return expectCode(call, 'MessageNotFound');
    await call;
    model.remove(id);
  }
  toString() {
    return `deleteMessage(#${this.index})`;
  }
}

class GetMessage implements Command {
  constructor(readonly index: number) {}
  check = hasMessages;
  async run(model: QueueModel, real: Real) {
    const id = model.ids[this.index % model.ids.length] as string;
    const message = model.messages.get(id);
    const call = real.engine.getMessage(real.queue, id);
    if (!message) return expectCode(call, 'MessageNotFound');
    const view = await call;
    const state = model.stateOf(message);
    expect(view).toMatchObject({
      id,
      state,
      receiveCount: message.receiveCount,
      priority: message.priority,
      publishedAt: message.publishedAt,
      leaseExpiresAt: state === 'inFlight' ? message.dueAt : null,
    });
    expect(JSON.stringify(view.body)).toBe(message.body);
  }
  toString() {
    return `getMessage(#${this.index})`;
  }
}

class Counts implements Command {
  check = always;
  async run(model: QueueModel, real: Real) {
    const { counts } = await real.engine.getQueue(real.queue);
    expect(counts, 'counts').toEqual(model.counts());
  }
  toString() {
    return 'getQueue().counts';
  }
}

// ---------------------------------------------------------------------------------------------

/** A receipt that still holds three times out of four (when there is one), else any receipt issued. */
const receiptPick = fc.record({
  index: fc.nat({ max: 1_000 }),
  held: fc.constantFrom(true, true, true, false),
});
const leaseSeconds = fc.oneof(
  { weight: 1, arbitrary: fc.constant(0) },
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 60 }) },
);

const publish = publishInput.map((input) => new Publish(input));
const publishBatch = fc
  .array(publishInput, { minLength: 1, maxLength: 5 })
  .map((inputs) => new PublishBatch(inputs));
const receive = fc
  .tuple(
    fc.integer({ min: 1, max: 3 }),
    fc.option(leaseSeconds, { nil: undefined, freq: 2 }),
    fc.constantFrom<'manual' | 'auto'>('manual', 'manual', 'manual', 'auto'),
  )
  .map(([max, vis, ack]) => new Receive(max, vis, ack));
const ack = receiptPick.map((pick) => new Ack(pick));
const release = fc
  .tuple(receiptPick, fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 60 })))
  .map(([pick, delay]) => new Release(pick, delay));
const extend = fc.tuple(receiptPick, leaseSeconds).map(([pick, vis]) => new Extend(pick, vis));
const advance = fc
  .oneof(
    fc.integer({ min: 1, max: 999 }),
    fc.integer({ min: 1, max: 30 }).map((s) => s * 1_000),
    fc.integer({ min: 30, max: 120 }).map((s) => s * 1_000),
  )
  .map((ms) => new Advance(ms));
const advanceToDue = fc
  .tuple(fc.nat({ max: 10 }), fc.constantFrom<-1 | 0 | 1>(-1, 0, 1))
  .map(([index, offset]) => new AdvanceToDue(index, offset));
const runDueWork = fc.constant(new RunDueWork());
const deleteMessage = fc.nat({ max: 1_000 }).map((index) => new DeleteMessage(index));
const getMessage = fc.nat({ max: 1_000 }).map((index) => new GetMessage(index));
const counts = fc.constant(new Counts());

const weighted = <T>(weight: number, arbitrary: fc.Arbitrary<T>) =>
  Array.from({ length: weight }, () => arbitrary);

/** Every command, weighted by repetition (fc.commands picks among the arbitraries uniformly). */
export const queueCommands: fc.Arbitrary<Command>[] = [
  ...weighted(5, publish),
  ...weighted(2, publishBatch),
  ...weighted(5, receive),
  ...weighted(3, ack),
  ...weighted(2, release),
  ...weighted(2, extend),
  ...weighted(2, advance),
  ...weighted(2, advanceToDue),
  runDueWork,
  deleteMessage,
  ...weighted(2, getMessage),
  ...weighted(2, counts),
];

/** The checks every run ends with, whatever its commands did. */
export async function finalCheck(model: QueueModel, real: Real): Promise<void> {
  await new Counts().run(model, real);
  model.clock.advance(3_600_000);
  await real.engine.runDueWork();
  model.promote();
  await new Counts().run(model, real);
  // Everything left is now ready and comes out in exact delivery order.
  const expected = model.ready().map((m) => m.id);
  const drained: string[] = [];
  for (;;) {
    const got = await real.engine.receive(real.queue, { maxMessages: 10, ack: 'auto' });
    if (got.length === 0) break;
    drained.push(...got.map((m) => m.id));
  }
  expect(drained, 'the rest drains in delivery order').toEqual(expected);
}
