/**
 * The model-based test on a sharded queue. With shards > 1, delivery order across shards is
 * best-effort (docs/performance.md), and a receive looks at a few shards a call, so this model is
 * about what stays exact: per-group order and one in flight per group, no loss, no duplicate
 * delivery, receipts that hold until the message is received again, deduplication, and exact
 * counts, while the queue grows its shards under live groups, leases and delays. Receives go
 * through two engines (two processes: the second has no hints from publishing).
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import type { Engine } from '../../../functions/core/engine';
import type { ManualClock } from '../../support/engine';

interface Message {
  id: string;
  group: string | null;
  /** Publish order within the model. */
  seq: number;
  body: number;
  /** Due time of a delay, or the end of a lease. */
  dueAt: number;
  inFlight: boolean;
  holder: string | null;
  receiveCount: number;
}

export class ShardModel {
  readonly messages = new Map<string, Message>();
  readonly receipts: string[] = [];
  readonly dedup = new Map<string, { id: string; expiresAt: number }>();
  shards: number;
  private seq = 0;

  constructor(
    readonly queue: string,
    readonly clock: ManualClock,
    shards: number,
  ) {
    this.shards = shards;
  }

  stateOf(message: Message): 'ready' | 'delayed' | 'inFlight' {
    if (message.dueAt <= this.clock()) return 'ready';
    return message.inFlight ? 'inFlight' : 'delayed';
  }

  /** Whether a receive may deliver it now: ready, and first of its group with none in flight. */
  deliverable(message: Message): boolean {
    if (this.stateOf(message) !== 'ready') return false;
    if (message.group === null) return true;
    const members = [...this.messages.values()].filter((m) => m.group === message.group);
    const first = members.reduce((a, b) => (a.seq < b.seq ? a : b));
    return first.id === message.id;
  }

  add(id: string, group: string | null, body: number, delaySeconds: number): void {
    this.messages.set(id, {
      id,
      group,
      seq: ++this.seq,
      body,
      dueAt: this.clock() + delaySeconds * 1000,
      inFlight: false,
      holder: null,
      receiveCount: 0,
    });
  }

  counts() {
    const counts = { ready: 0, delayed: 0, inFlight: 0, total: 0 };
    for (const message of this.messages.values()) {
      counts[this.stateOf(message)]++;
      counts.total++;
    }
    return counts;
  }

  holderOf(receipt: string): Message | undefined {
    return [...this.messages.values()].find((m) => m.holder === receipt);
  }
}

export interface ShardReal {
  engines: Engine[];
  queue: string;
}

type ShardCommand = fc.AsyncCommand<ShardModel, ShardReal>;

class Publish implements ShardCommand {
  constructor(
    readonly count: number,
    readonly group: string | null,
    readonly delaySeconds: number,
    readonly dedupId: string | null,
  ) {}
  check = () => true;
  async run(model: ShardModel, real: ShardReal) {
    const now = model.clock();
    const inputs = Array.from({ length: this.count }, (_, i) => ({
      body: model.messages.size + i,
      delaySeconds: this.delaySeconds,
      ...(this.group ? { groupId: this.group } : {}),
      ...(this.dedupId ? { deduplicationId: this.dedupId } : {}),
    }));
    const results = await real.engines[0]?.publishBatch(real.queue, inputs);
    for (const [i, result] of (results ?? []).entries()) {
      expect(result.ok, 'publish').toBe(true);
      if (!result.ok) continue;
      const known = this.dedupId ? model.dedup.get(this.dedupId) : undefined;
      if (known && known.expiresAt > now) {
        expect(result.value, 'a duplicate answers the first id').toMatchObject({
          duplicate: true,
          id: known.id,
        });
        continue;
      }
      expect(result.value.duplicate, 'not a duplicate').toBe(false);
      if (this.dedupId) model.dedup.set(this.dedupId, { id: result.value.id, expiresAt: now + 300_000 });
      model.add(result.value.id, this.group, inputs[i]?.body as number, this.delaySeconds);
    }
  }
  toString() {
    return `publish(${this.count}, group ${this.group}, delay ${this.delaySeconds}, dedup ${this.dedupId})`;
  }
}

class Receive implements ShardCommand {
  constructor(
    readonly engine: number,
    readonly maxMessages: number,
    readonly visibilitySeconds: number,
  ) {}
  check = () => true;
  async run(model: ShardModel, real: ShardReal) {
    const got = await (real.engines[this.engine] as Engine).receive(real.queue, {
      maxMessages: this.maxMessages,
      visibilityTimeoutSeconds: this.visibilitySeconds,
    });
    expect(got.length).toBeLessThanOrEqual(this.maxMessages);
    expect(new Set(got.map((m) => m.id)).size, 'no message twice in one answer').toBe(got.length);
    const groups = got.flatMap((m) => (m.groupId === null ? [] : [m.groupId]));
    expect(new Set(groups).size, 'one message per group in flight').toBe(groups.length);
    for (const delivered of got) {
      const message = model.messages.get(delivered.id);
      expect(message, `${delivered.id} exists`).toBeDefined();
      if (!message) continue;
      expect(model.deliverable(message), `${delivered.id} (body ${message.body}) is deliverable`).toBe(true);
      expect(delivered.body).toBe(message.body);
      expect(delivered.receiveCount).toBe(message.receiveCount + 1);
      message.receiveCount++;
      message.inFlight = true;
      message.dueAt = model.clock() + this.visibilitySeconds * 1000;
      message.holder = delivered.receipt as string;
      model.receipts.push(delivered.receipt as string);
    }
  }
  toString() {
    return `receive(engine ${this.engine}, max ${this.maxMessages}, visibility ${this.visibilitySeconds})`;
  }
}

class Ack implements ShardCommand {
  constructor(readonly index: number) {}
  check = (model: Readonly<ShardModel>) => model.receipts.length > 0;
  async run(model: ShardModel, real: ShardReal) {
    const receipt = model.receipts[this.index % model.receipts.length] as string;
    const held = model.holderOf(receipt);
    const answer = await (real.engines[0] as Engine).ack(real.queue, receipt).then(
      () => 'ok',
      (error: { code?: string }) => error.code,
    );
    expect(answer, 'ack answers by whether the receipt holds').toBe(held ? 'ok' : 'ReceiptExpired');
    if (held) model.messages.delete(held.id);
  }
  toString() {
    return `ack(#${this.index})`;
  }
}

class Release implements ShardCommand {
  constructor(readonly index: number) {}
  check = (model: Readonly<ShardModel>) => model.receipts.length > 0;
  async run(model: ShardModel, real: ShardReal) {
    const receipt = model.receipts[this.index % model.receipts.length] as string;
    const held = model.holderOf(receipt);
    const answer = await (real.engines[1] as Engine).release(real.queue, receipt, 0).then(
      () => 'ok',
      (error: { code?: string }) => error.code,
    );
    expect(answer, 'release answers by whether the receipt holds').toBe(held ? 'ok' : 'ReceiptExpired');
    if (held) Object.assign(held, { inFlight: false, holder: null, dueAt: model.clock() });
  }
  toString() {
    return `release(#${this.index})`;
  }
}

class Advance implements ShardCommand {
  constructor(readonly seconds: number) {}
  check = () => true;
  async run(model: ShardModel) {
    model.clock.advance(this.seconds * 1000);
    // An ended lease makes the message ready; its receipt holds until the next receive.
    for (const message of model.messages.values())
      if (message.inFlight && message.dueAt <= model.clock()) message.inFlight = false;
  }
  toString() {
    return `advance(${this.seconds} s)`;
  }
}

class Grow implements ShardCommand {
  constructor(readonly by: number) {}
  check = (model: Readonly<ShardModel>) => model.shards + this.by <= 64;
  async run(model: ShardModel, real: ShardReal) {
    const { queue } = await (real.engines[0] as Engine).putQueue(real.queue, {
      shards: model.shards + this.by,
    });
    model.shards += this.by;
    expect(queue.shards).toBe(model.shards);
  }
  toString() {
    return `grow(+${this.by})`;
  }
}

class Counts implements ShardCommand {
  check = () => true;
  async run(model: ShardModel, real: ShardReal) {
    expect((await (real.engines[1] as Engine).getQueue(real.queue)).counts, 'exact counts').toEqual(
      model.counts(),
    );
  }
  toString() {
    return 'counts()';
  }
}

const groupArb = fc.constantFrom<string | null>(null, null, 'a', 'b', 'c', 'd');

export const shardCommands: fc.Arbitrary<ShardCommand>[] = [
  ...Array.from({ length: 4 }, () =>
    fc
      .record({
        count: fc.integer({ min: 1, max: 4 }),
        group: groupArb,
        delay: fc.constantFrom(0, 0, 0, 20),
        dedup: fc.constantFrom<string | null>(null, null, null, 'x', 'y'),
      })
      .map(({ count, group, delay, dedup }) => new Publish(dedup ? 1 : count, group, delay, dedup)),
  ),
  ...Array.from({ length: 5 }, () =>
    fc
      .record({
        engine: fc.integer({ min: 0, max: 1 }),
        max: fc.constantFrom(1, 1, 3, 10),
        visibility: fc.constantFrom(5, 30),
      })
      .map(({ engine, max, visibility }) => new Receive(engine, max, visibility)),
  ),
  ...Array.from({ length: 3 }, () => fc.nat().map((index) => new Ack(index))),
  fc.nat().map((index) => new Release(index)),
  fc.constantFrom(3, 10, 31).map((seconds) => new Advance(seconds)),
  fc.integer({ min: 1, max: 7 }).map((by) => new Grow(by)),
  fc.constant(new Counts()),
];

/**
 * The end of every run: everything comes out, each exactly once, groups in their order; nothing
 * is left (counts zero). Receives look at a few shards a call, so they repeat until done.
 */
export async function drainShards(model: ShardModel, real: ShardReal): Promise<void> {
  model.clock.advance(3_600_000);
  for (const message of model.messages.values()) message.inFlight = false;
  const order = new Map<string, number[]>();
  for (let call = 0; model.messages.size > 0 && call < 400; call++) {
    const got = await (real.engines[call % 2] as Engine).receive(real.queue, {
      maxMessages: 10,
      ack: 'auto',
    });
    for (const delivered of got) {
      const message = model.messages.get(delivered.id);
      expect(message, `${delivered.id} delivered once`).toBeDefined();
      if (!message) continue;
      expect(model.deliverable(message), `${delivered.id} deliverable at the end`).toBe(true);
      if (message.group !== null)
        order.set(message.group, [...(order.get(message.group) ?? []), message.seq]);
      model.messages.delete(delivered.id);
    }
  }
  expect([...model.messages.keys()], 'nothing lost').toEqual([]);
  for (const seqs of order.values())
    expect(seqs, 'each group in publish order').toEqual([...seqs].sort((a, b) => a - b));
  expect((await (real.engines[0] as Engine).getQueue(real.queue)).counts).toEqual({
    ready: 0,
    delayed: 0,
    inFlight: 0,
    total: 0,
  });
}

/** Runs `numRuns` random command sequences on new sharded queues (1 to 8 shards to start). */
export async function checkShards(
  engines: Engine[],
  clock: ManualClock,
  queueName: () => string,
  options: { numRuns: number; timeLimitMs: number },
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 8 }),
      fc.commands(shardCommands, { maxCommands: 50, size: 'max' }),
      async (shards, commands) => {
        const queue = queueName();
        await (engines[0] as Engine).putQueue(queue, { shards });
        const model = new ShardModel(queue, clock, shards);
        const real = { engines, queue };
        try {
          await fc.asyncModelRun(() => ({ model, real }), commands);
          await drainShards(model, real);
        } finally {
          await (engines[0] as Engine).deleteQueue(queue);
        }
      },
    ),
    {
      numRuns: options.numRuns,
      endOnFailure: false,
      plugins: [fc.interruptAfterTimeLimit(options.timeLimitMs, { failOnInterrupt: true })],
    },
  );
}
