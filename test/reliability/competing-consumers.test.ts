/**
 * Competing consumers on the real clock: 12 consumers against one queue while 500 messages are
 * published (singly and in batches) at the same time. Some deliveries "crash" (neither ack nor
 * release: the lease runs out and the message comes back), some are released, some extended,
 * a few acked late. In the end every message is acked exactly once, none is lost, and no message
 * was ever delivered while an earlier lease of it was still running.
 *
 * Runs twice: 12 consumers sharing one DynamoEngine, and 12 DynamoEngine instances with their own
 * clients on the same table, as separate processes would be. The timed work runs every 250 ms
 * beside them, as in the local server.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoEngine } from '../../functions/core/dynamo-engine';
import type { Engine } from '../../functions/core/engine';
import type { DeliveredMessage, PublishInput } from '../../functions/core/types';
import { freshTable, testClient } from '../support/dynamo';
import { queueName } from '../support/engine';

const MESSAGES = 500;
const CONSUMERS = 12;
const VISIBILITY_SECONDS = 2;
const EXTEND_SECONDS = 3;
/** What a delivery does instead of a plain ack, by share of deliveries. */
const CRASH_RATE = 0.1;
const RELEASE_RATE = 0.05;
const EXTEND_RATE = 0.05;
const LATE_ACK_RATE = 0.01;
/** Leases are compared on one process's clock; this only absorbs timer rounding. */
const TOLERANCE_MS = 50;
/**
 * The whole exchange must be over by then. It takes 20–90 s on DynamoDB Local here, depending on
 * how busy the machine (and the shared DynamoDB Local of a full test run) is: the bound is there
 * so that nothing can hang, and every single call has its own limit too.
 */
const DEADLINE_MS = 120_000;
const CALL_TIMEOUT_MS = 60_000;

let tableName: string;

beforeAll(async () => {
  ({ tableName } = await freshTable());
});

type Outcome = 'acked' | 'ackRefused' | 'crashed' | 'released' | 'releaseRefused' | 'pending';

interface Delivery {
  id: string;
  consumer: number;
  receiveCount: number;
  body: unknown;
  /** Just before the receive call: the lease cannot have started earlier. */
  requestedAt: number;
  /** Just after it returned: the lease cannot have started later. */
  receivedAt: number;
  /** The earliest the lease can end: receive (or last extend) + its visibility, or the release. */
  leaseEndsNotBefore: number;
  outcome: Outcome;
}

/** Rejects a call that does not settle in time, so that no consumer can hang the test. */
async function limited<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not settle in ${CALL_TIMEOUT_MS} ms`)),
      CALL_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const numberOf = (input: PublishInput) => (input.body as { n: number }).n;

const isReceiptExpired = (error: unknown) => (error as { code?: string }).code === 'ReceiptExpired';

interface Run {
  published: Map<string, number>;
  deliveries: Delivery[];
  acks: Map<string, number>;
  errors: unknown[];
  elapsedMs: number;
}

/**
 * Publishes MESSAGES messages (half one by one, half in batches of 1–25) while CONSUMERS
 * consumers take them, and records every delivery and every ack.
 */
async function exchange(queue: string, engines: Engine[]): Promise<Run> {
  const engineFor = (i: number) => engines[i % engines.length] as Engine;
  const started = Date.now();
  const deadline = started + DEADLINE_MS;
  const published = new Map<string, number>();
  const deliveries: Delivery[] = [];
  const acks = new Map<string, number>();
  const errors: unknown[] = [];
  let publishing = true;
  const done = () =>
    (!publishing && acks.size >= published.size) || Date.now() > deadline || errors.length > 0;

  const inputs: PublishInput[] = Array.from({ length: MESSAGES }, (_, n) => ({ body: { n } }));
  const single = inputs.slice(0, MESSAGES / 2);
  const batched = inputs.slice(MESSAGES / 2);

  async function publishSingly(engine: Engine, list: PublishInput[]) {
    for (const input of list) {
      if (Date.now() > deadline) throw new Error(`still publishing after ${DEADLINE_MS} ms`);
      const result = await limited('publish', engine.publish(queue, input));
      published.set(result.id, numberOf(input));
    }
  }

  async function publishBatches(engine: Engine, list: PublishInput[]) {
    for (let at = 0; at < list.length; ) {
      if (Date.now() > deadline) throw new Error(`still publishing after ${DEADLINE_MS} ms`);
      const size = 1 + Math.floor(Math.random() * 25);
      const batch = list.slice(at, at + size);
      at += batch.length;
      const results = await limited('publishBatch', engine.publishBatch(queue, batch));
      results.forEach((entry, i) => {
        if (!entry.ok) throw entry.error;
        published.set(entry.value.id, numberOf(batch[i] as PublishInput));
      });
      await sleep(Math.random() * 20);
    }
  }

  type Plan = 'crash' | 'release' | 'extend' | 'lateAck' | 'ack';
  function plan(): Plan {
    let roll = Math.random();
    for (const [kind, rate] of [
      ['crash', CRASH_RATE],
      ['release', RELEASE_RATE],
      ['extend', EXTEND_RATE],
      ['lateAck', LATE_ACK_RATE],
    ] as const) {
      if (roll < rate) return kind;
      roll -= rate;
    }
    return 'ack';
  }

  async function handle(engine: Engine, message: DeliveredMessage, delivery: Delivery, kind: Plan) {
    const receipt = message.receipt as string;
    if (kind === 'crash') {
      delivery.outcome = 'crashed';
      return;
    }
    if (kind === 'release') {
      const releasedAt = Date.now();
      try {
        await limited('release', engine.release(queue, receipt, 0));
        delivery.outcome = 'released';
        delivery.leaseEndsNotBefore = releasedAt;
      } catch (error) {
        if (!isReceiptExpired(error)) throw error;
        delivery.outcome = 'releaseRefused';
      }
      return;
    }
    if (kind === 'extend') {
      const extendedAt = Date.now();
      try {
        await limited('extend', engine.extend(queue, receipt, EXTEND_SECONDS));
        delivery.leaseEndsNotBefore = Math.max(
          delivery.leaseEndsNotBefore,
          extendedAt + EXTEND_SECONDS * 1000,
        );
      } catch (error) {
        if (!isReceiptExpired(error)) throw error;
      }
      // Longer than the first lease: only the extension keeps it.
      await sleep(VISIBILITY_SECONDS * 1000 + 200);
    } else if (kind === 'lateAck') {
      // Past the lease: the ack holds if nobody received the message again meanwhile.
      await sleep(VISIBILITY_SECONDS * 1000 + 100);
    } else {
      await sleep(Math.random() * 20);
    }
    try {
      await limited('ack', engine.ack(queue, receipt));
      delivery.outcome = 'acked';
      acks.set(message.id, (acks.get(message.id) ?? 0) + 1);
    } catch (error) {
      if (!isReceiptExpired(error)) throw error;
      delivery.outcome = 'ackRefused';
    }
  }

  const guard = async (work: Promise<void>) => {
    try {
      await work;
    } catch (error) {
      errors.push(error);
    }
  };

  /** Slow handlings (extend, late ack) go on beside the consumer's loop, as with a concurrency above 1. */
  const background: Promise<void>[] = [];

  async function consume(consumer: number) {
    const engine = engineFor(consumer);
    const longPoll = consumer % 2 === 1;
    while (!done()) {
      const requestedAt = Date.now();
      const got = await limited(
        'receive',
        engine.receive(queue, {
          maxMessages: 1 + Math.floor(Math.random() * 5),
          visibilityTimeoutSeconds: VISIBILITY_SECONDS,
          waitSeconds: longPoll ? 1 : 0,
        }),
      );
      const receivedAt = Date.now();
      if (got.length === 0) {
        if (!longPoll) await sleep(100 + Math.random() * 100);
        continue;
      }
      const quick: Promise<void>[] = [];
      for (const message of got) {
        const delivery: Delivery = {
          id: message.id,
          consumer,
          receiveCount: message.receiveCount,
          body: message.body,
          requestedAt,
          receivedAt,
          leaseEndsNotBefore: requestedAt + VISIBILITY_SECONDS * 1000,
          outcome: 'pending',
        };
        deliveries.push(delivery);
        const kind = plan();
        const handling = handle(engine, message, delivery, kind);
        if (kind === 'extend' || kind === 'lateAck') background.push(guard(handling));
        else quick.push(handling);
      }
      await Promise.all(quick);
    }
  }

  async function timedWork() {
    while (!done()) {
      await limited('runDueWork', engineFor(0).runDueWork());
      await sleep(250);
    }
  }

  // Four producers publish one by one and two in batches, all while the consumers run.
  const chunk = <T>(list: T[], parts: number) =>
    Array.from({ length: parts }, (_, i) => list.filter((_, j) => j % parts === i));
  const producers = Promise.all([
    ...chunk(single, 4).map((list, i) => guard(publishSingly(engineFor(i), list))),
    ...chunk(batched, 2).map((list, i) => guard(publishBatches(engineFor(4 + i), list))),
  ]).then(() => {
    publishing = false;
  });
  await Promise.all([
    producers,
    guard(timedWork()),
    ...Array.from({ length: CONSUMERS }, (_, consumer) => guard(consume(consumer))),
  ]);
  await Promise.all(background);
  return { published, deliveries, acks, errors, elapsedMs: Date.now() - started };
}

/** Every check of the run; returns what happened, for the log. */
async function expectReliable(queue: string, engine: Engine, run: Run) {
  const { published, deliveries, acks, errors } = run;
  expect(errors, 'no call failed other than with ReceiptExpired').toEqual([]);
  expect(published.size, 'every publish got its own id').toBe(MESSAGES);
  expect(new Set(published.values()).size).toBe(MESSAGES);

  const notAcked = [...published.keys()].filter((id) => acks.get(id) !== 1);
  expect(
    notAcked.map((id) => ({ n: published.get(id), acks: acks.get(id) ?? 0 })),
    `every message acked exactly once (within ${DEADLINE_MS} ms)`,
  ).toEqual([]);
  expect(
    [...acks.keys()].filter((id) => !published.has(id)),
    'no ack of an unknown message',
  ).toEqual([]);

  const byMessage = new Map<string, Delivery[]>();
  for (const delivery of deliveries) {
    expect(published.has(delivery.id), 'only published messages are delivered').toBe(true);
    expect(delivery.body).toEqual({ n: published.get(delivery.id) });
    byMessage.set(delivery.id, [...(byMessage.get(delivery.id) ?? []), delivery]);
  }
  const overlaps: string[] = [];
  for (const [id, list] of byMessage) {
    list.sort((a, b) => a.receiveCount - b.receiveCount);
    expect(
      list.map((d) => d.receiveCount),
      `receiveCount of ${id} counts its deliveries: 1, 2, 3…`,
    ).toEqual(list.map((_, i) => i + 1));
    list.forEach((delivery, i) => {
      const next = list[i + 1];
      if (!next) return;
      if (delivery.outcome === 'acked') {
        overlaps.push(`${id}: delivered again (#${next.receiveCount}) after a successful ack`);
      } else if (next.receivedAt < delivery.leaseEndsNotBefore - TOLERANCE_MS) {
        overlaps.push(
          `${id}: delivery #${next.receiveCount} to consumer ${next.consumer} returned ` +
            `${delivery.leaseEndsNotBefore - next.receivedAt} ms before the lease of delivery ` +
            `#${delivery.receiveCount} (consumer ${delivery.consumer}, ${delivery.outcome}) could end`,
        );
      }
    });
    const last = list.at(-1) as Delivery;
    expect(last.outcome, `the last delivery of ${id} is the one acked`).toBe('acked');
  }
  expect(overlaps, 'no two overlapping leases on one message').toEqual([]);

  const { counts } = await engine.getQueue(queue);
  expect(counts).toEqual({ ready: 0, delayed: 0, inFlight: 0, total: 0 });
  expect(await engine.receive(queue, { maxMessages: 10 })).toEqual([]);

  const outcomes: Partial<Record<Outcome, number>> = {};
  for (const delivery of deliveries) outcomes[delivery.outcome] = (outcomes[delivery.outcome] ?? 0) + 1;
  return { deliveries: deliveries.length, outcomes, elapsedMs: run.elapsedMs };
}

describe('competing consumers, some of them crashing mid-message', () => {
  it('sharing one engine: every message acked exactly once, none lost, no overlapping leases', {
    timeout: DEADLINE_MS + 2 * CALL_TIMEOUT_MS,
  }, async () => {
    const engine = new DynamoEngine({ client: testClient(), tableName });
    const queue = queueName('shared');
    await engine.putQueue(queue, { visibilityTimeoutSeconds: 30 });
    const run = await exchange(queue, [engine]);
    const summary = await expectReliable(queue, engine, run);
    console.info('one shared engine:', JSON.stringify(summary));
  });

  it('each with its own engine and client, like separate processes: the same guarantees', {
    timeout: DEADLINE_MS + 2 * CALL_TIMEOUT_MS,
  }, async () => {
    const engines = Array.from(
      { length: CONSUMERS },
      () => new DynamoEngine({ client: testClient(), tableName }),
    );
    const queue = queueName('separate');
    await (engines[0] as Engine).putQueue(queue, { visibilityTimeoutSeconds: 30 });
    const run = await exchange(queue, engines);
    const summary = await expectReliable(queue, engines[0] as Engine, run);
    console.info('separate engines:', JSON.stringify(summary));
  });
});
