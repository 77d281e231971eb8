/**
 * The bench's measurements. Each phase gets its own table and local server (harness.ts), so no
 * phase pays for another's leftovers; setup work goes through the engine under the `setup` tag
 * and is never part of a measured figure. Every loop is bounded in count and in time.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { Engine } from '../functions/core/engine';
import { toConsumer } from '../functions/dispatcher/consumer';
import { startConsumers } from '../functions/local/consumers';
import { type Tally, tallyOf, withTag } from './counter';
import { dynamoClient, type PhaseServer, startPhaseServer } from './harness';
import { type Delivered, queueClient, tolerate } from './http';
import { type ReplayResult, replayRaw } from './replay';
import { type Deadline, deadline, inParallel, round, type Summary, sleep, summarize } from './stats';

/** Message bodies: about 200 bytes of JSON, a typical small job. */
const body = (n: number) => ({ n, kind: 'bench', payload: 'x'.repeat(160) });

export interface Sizes {
  singleMessages: number;
  batchRounds: number;
  backlogDelayed: number;
  backlogInFlight: number;
  groups: number;
  blockedGroups: number;
  probes: number;
  concurrencies: number[];
  drainMessages: number;
  e2eMessages: number;
  latencySamples: number;
  delayMessages: number;
  delaySpreadMs: number;
  /** Queue counts of the idle local server (idle.ts), each held for `idleWindowMs`. */
  idleQueues: number[];
  idleWindowMs: number;
}

export interface PerMessage {
  messages: number;
  requests: number;
  requestsPerMessage: number;
  writeRequestsPerMessage: number;
  byCommand: Record<string, number>;
  byRoute: Record<string, number>;
  /** As DynamoDB Local reports them (ConsumedCapacity, table + index). */
  writeUnitsPerMessage: number;
  readUnitsPerMessage: number;
  /** The timed work's requests during the same time, not part of the figures above. */
  timedWorkRequests: number;
}

function perMessage(byTag: Record<string, Tally>, routes: string[], messages: number): PerMessage {
  const tally = tallyOf(byTag, routes);
  return {
    messages,
    requests: tally.total,
    requestsPerMessage: round(tally.total / messages, 2),
    writeRequestsPerMessage: round(tally.writes / messages, 2),
    byCommand: tally.requests,
    byRoute: Object.fromEntries(routes.map((route) => [route, byTag[route]?.total ?? 0])),
    writeUnitsPerMessage: round(tally.writeUnits / messages, 2),
    readUnitsPerMessage: round(tally.readUnits / messages, 2),
    timedWorkRequests: byTag.timed?.total ?? 0,
  };
}

const ROUTES = ['publish', 'publishBatch', 'receive', 'ack'];

async function withServer<T>(endpoint: string, run: (server: PhaseServer) => Promise<T>): Promise<T> {
  const server = await startPhaseServer(endpoint);
  try {
    return await run(server);
  } finally {
    await server.close();
  }
}

/**
 * Publishes through the engine (not measured), `parallel` batches of 25 at a time, until `count`
 * or the deadline; returns how many were published. A batch the store refused is tried again.
 */
async function seed(
  engine: Engine,
  queue: string,
  count: number,
  make: (i: number) => Record<string, unknown>,
  limit: Deadline,
  parallel = 4,
  minimum = 25,
): Promise<number> {
  let next = 0;
  let published = 0;
  await withTag('setup', () =>
    inParallel(parallel, async () => {
      while (next < count && (next < minimum || !limit.passed())) {
        const start = next;
        next = Math.min(count, next + 25);
        let entries = Array.from({ length: next - start }, (_, i) => make(start + i));
        for (let attempt = 0; entries.length > 0 && attempt < 5; attempt++) {
          try {
            const results = await engine.publishBatch(queue, entries as never);
            published += results.filter((result) => result.ok).length;
            entries = entries.filter((_, i) => !results[i]?.ok);
          } catch {
            await sleep(200);
          }
        }
      }
    }),
  );
  return published;
}

/** Leases up to `count` ready messages for an hour through the engine (not measured). */
async function lease(
  engine: Engine,
  queue: string,
  count: number,
  limit: Deadline,
  parallel = 4,
): Promise<number> {
  let leased = 0;
  await withTag('setup', () =>
    inParallel(parallel, async () => {
      for (let empty = 0, rounds = 0; leased < count && empty < 5 && (rounds++ === 0 || !limit.passed()); ) {
        const got = await engine
          .receive(queue, { maxMessages: Math.min(10, count - leased), visibilityTimeoutSeconds: 3600 })
          .catch(() => []);
        leased += got.length;
        empty = got.length === 0 ? empty + 1 : 0;
      }
    }),
  );
  return leased;
}

/**
 * DynamoDB Local is a JVM: its first thousand requests run slower than the rest. Closed-loop
 * traffic for a while before anything is measured.
 */
export async function warmUp(endpoint: string, ms: number): Promise<number> {
  return withServer(endpoint, async (server) => {
    const q = queueClient(server.url, 'warm-up');
    await q.create();
    const limit = deadline(ms);
    let cycles = 0;
    await inParallel(8, async () => {
      while (!limit.passed()) {
        await tolerate(async () => {
          await q.publish(body(cycles));
          const [message] = await q.receive({});
          if (message) await q.ack(message.receipt);
        });
        cycles++;
      }
    });
    return cycles;
  });
}

// ---------------------------------------------------------------------------------------------

export interface CostResults {
  single: PerMessage;
  batch10: PerMessage;
}

/** publish → receive → ack, one at a time and in batches of 10, through HTTP. */
export async function measureCosts(endpoint: string, sizes: Sizes, ms: number): Promise<CostResults> {
  const limit = deadline(ms);
  return withServer(endpoint, async (server) => {
    const q = queueClient(server.url, 'costs');
    await q.create();
    // Warm-up: the process's configuration cache and connections, as in a running server.
    await q.publish(body(0));
    await q.receive({ ack: 'auto' });
    server.counter.take();

    let singles = 0;
    for (; singles < sizes.singleMessages && (singles < 5 || limit.left() > ms * 0.4); singles++) {
      await q.publish(body(singles));
      const [message] = await q.receive({});
      if (!message) throw new Error('single: a receive right after a publish came back empty');
      await q.ack(message.receipt);
    }
    const single = perMessage(server.counter.take(), ROUTES, singles);

    let rounds = 0;
    for (; rounds < sizes.batchRounds && (rounds < 2 || !limit.passed()); rounds++) {
      await q.publishBatch(Array.from({ length: 10 }, (_, i) => ({ body: body(i) })));
      const messages: Delivered[] = [];
      for (let attempt = 0; messages.length < 10 && attempt < 10; attempt++)
        messages.push(...(await q.receive({ maxMessages: 10 - messages.length })));
      if (messages.length !== 10) throw new Error(`batch: received ${messages.length} of 10`);
      const results = await q.ackBatch(messages.map((message) => message.receipt));
      if (!results.every((result) => result.ok)) throw new Error('batch: an ack failed');
    }
    const batch10 = perMessage(server.counter.take(), ROUTES, rounds * 10);
    return { single, batch10 };
  });
}

// ---------------------------------------------------------------------------------------------

export interface ReceiveProbe {
  requests: number;
  itemsRead: number;
  byCommand: Record<string, number>;
}

export interface BacklogResults {
  delayed: number;
  inFlight: number;
  counts: unknown;
  probes: ReceiveProbe[];
  maxItemsRead: number;
  maxRequests: number;
  setupSeconds: number;
}

/** One message published, then one receive through HTTP, counted; the message is acked after. */
async function probeReceives(server: PhaseServer, queue: string, probes: number, publish: boolean) {
  const q = queueClient(server.url, queue);
  const results: ReceiveProbe[] = [];
  for (let i = 0; i < probes; i++) {
    if (publish) await q.publish(body(i));
    server.counter.take();
    const [message] = await q.receive({});
    const tally = tallyOf(server.counter.take(), ['receive']);
    // Only unblocked groups' messages can come: when they are used up, the probing is over.
    if (!message) break;
    results.push({ requests: tally.total, itemsRead: tally.itemsRead, byCommand: tally.requests });
    await q.ack(message.receipt);
  }
  return results;
}

/** Items read by one receive with `delayed` delayed and `inFlight` leased messages in the queue. */
export async function measureBacklog(endpoint: string, sizes: Sizes, ms: number): Promise<BacklogResults> {
  return withServer(endpoint, async (server) => {
    const queue = 'backlog';
    const started = performance.now();
    await queueClient(server.url, queue).create();
    const limit = deadline(ms * 0.85);
    const delayed = await seed(
      server.engine,
      queue,
      sizes.backlogDelayed,
      (i) => ({ body: body(i), delaySeconds: 3600 }),
      limit,
    );
    await seed(server.engine, queue, sizes.backlogInFlight, (i) => ({ body: body(i) }), limit);
    const inFlight = await lease(server.engine, queue, sizes.backlogInFlight, limit);
    const counts = (await withTag('setup', () => server.engine.getQueue(queue))).counts;
    const setupSeconds = round((performance.now() - started) / 1000);
    const probes = await probeReceives(server, queue, sizes.probes, true);
    return {
      delayed,
      inFlight,
      counts,
      probes,
      maxItemsRead: probes.length ? Math.max(...probes.map((probe) => probe.itemsRead)) : Number.NaN,
      maxRequests: probes.length ? Math.max(...probes.map((probe) => probe.requests)) : Number.NaN,
      setupSeconds,
    };
  });
}

export interface GroupResults {
  groups: number;
  blocked: number;
  counts: unknown;
  probes: ReceiveProbe[];
  maxItemsRead: number;
  maxRequests: number;
  setupSeconds: number;
}

/**
 * `groups` message groups of two messages each; the heads of the first `blocked` groups are in
 * flight, so their second messages wait. Then one receive, counted.
 */
export async function measureGroups(endpoint: string, sizes: Sizes, ms: number): Promise<GroupResults> {
  return withServer(endpoint, async (server) => {
    const queue = 'groups';
    const started = performance.now();
    await queueClient(server.url, queue).create();
    // 25 groups at a time: their heads, then their second messages, which wait behind the heads.
    // Only heads are ever in the ready range, in publish order, so the first receives lease the
    // heads of the first groups.
    const limit = deadline(ms * 0.6);
    let groups = 0;
    while (groups < sizes.groups && !limit.passed()) {
      const first = groups;
      const n = Math.min(25, sizes.groups - first);
      const make = (i: number) => ({ body: body(i), groupId: `g-${first + (i % n)}` });
      // One batch each; grouped entries are one transaction apiece (DynamoDB Local serialises them).
      const heads = await seed(server.engine, queue, n, make, limit, 1, first === 0 ? n : 0);
      const seconds = await seed(server.engine, queue, n, make, limit, 1, first === 0 ? n : 0);
      groups += Math.min(heads, seconds);
      if (heads < n || seconds < n) break;
    }
    const blocked = await lease(
      server.engine,
      queue,
      Math.round((groups * sizes.blockedGroups) / sizes.groups),
      deadline(ms * 0.3),
      1,
    );
    const counts = (await withTag('setup', () => server.engine.getQueue(queue))).counts;
    const setupSeconds = round((performance.now() - started) / 1000);
    const probes = await probeReceives(server, queue, sizes.probes, false);
    return {
      groups,
      blocked,
      counts,
      probes,
      maxItemsRead: probes.length ? Math.max(...probes.map((probe) => probe.itemsRead)) : Number.NaN,
      maxRequests: probes.length ? Math.max(...probes.map((probe) => probe.requests)) : Number.NaN,
      setupSeconds,
    };
  });
}

// ---------------------------------------------------------------------------------------------

export interface DrainResults {
  consumers: number;
  delivered: number;
  seconds: number;
  messagesPerSecond: number;
  writeRequests: number;
  writesPerDelivered: number;
  requestsPerDelivered: number;
  /** Claims refused by their condition: another consumer had the message first. */
  lostClaims: number;
  emptyReceives: number;
  /** receive + ack of one message, as a consumer sees it. */
  latencyMs: Summary;
  complete: boolean;
}

/** `consumers` competing consumers draining a pre-filled queue through HTTP, receive 1 + ack. */
async function drain(
  server: PhaseServer,
  consumers: number,
  sizes: Sizes,
  seedMs: number,
  ms: number,
): Promise<DrainResults> {
  const queue = `drain-${consumers}`;
  const q = queueClient(server.url, queue);
  await q.create();
  const filled = await seed(
    server.engine,
    queue,
    sizes.drainMessages,
    (i) => ({ body: body(i) }),
    deadline(seedMs),
    4,
    consumers * 2,
  );
  server.counter.take();
  const limit = deadline(ms);
  let delivered = 0;
  let empty = 0;
  const latencies: number[] = [];
  const started = performance.now();
  await inParallel(consumers, async () => {
    while (delivered < filled && (delivered < consumers || !limit.passed())) {
      const began = performance.now();
      const [message] = (await tolerate(() => q.receive({}))) ?? [];
      if (!message) {
        empty++;
        await sleep(10);
        continue;
      }
      // A failed ack leaves the message to come back after its lease: it is not counted.
      if ((await tolerate(() => q.ack(message.receipt))) === undefined) continue;
      delivered++;
      latencies.push(performance.now() - began);
    }
  });
  const seconds = (performance.now() - started) / 1000;
  const tally = tallyOf(server.counter.take(), ['receive', 'ack']);
  return {
    consumers,
    delivered,
    seconds: round(seconds, 2),
    messagesPerSecond: round(delivered / seconds),
    writeRequests: tally.writes,
    writesPerDelivered: round(tally.writes / delivered, 3),
    requestsPerDelivered: round(tally.total / delivered, 2),
    lostClaims: tally.conditionFailures,
    emptyReceives: empty,
    latencyMs: summarize(latencies),
    complete: delivered === filled && filled === sizes.drainMessages,
  };
}

export interface EndToEndResults {
  workers: number;
  messages: number;
  seconds: number;
  messagesPerSecond: number;
  requests: number;
  byCommand: Record<string, number>;
  requestsPerMessage: number;
  writesPerMessage: number;
  /** Claim and ack writes only, per delivered message (the consumer side of the closed loop). */
  consumerWritesPerMessage: number;
  lostClaims: number;
  /** publish → receive → ack of one message, as one worker sees it. */
  cycleMs: Summary;
  raw: ReplayResult & { messagesPerSecond: number };
  /** End-to-end messages/s over raw messages/s (the raw run's time for the same requests). */
  ratio: number;
  complete: boolean;
}

/**
 * `workers` closed-loop workers through HTTP, each publishing one message, receiving one (any),
 * acking it, until `messages` have gone through; then the same DynamoDB requests again, raw.
 */
async function endToEnd(
  endpoint: string,
  server: PhaseServer,
  workers: number,
  sizes: Sizes,
  ms: number,
  rawMs: number,
): Promise<EndToEndResults> {
  const queue = `e2e-${workers}`;
  const q = queueClient(server.url, queue);
  await q.create();
  await q.publish(body(0));
  await q.receive({ ack: 'auto' });
  server.counter.take();
  server.counter.record(['publish', 'receive', 'ack']);
  const limit = deadline(ms);
  let tickets = 0;
  let done = 0;
  const cycles: number[] = [];
  const started = performance.now();
  await inParallel(workers, async () => {
    while (tickets < sizes.e2eMessages && (tickets < workers || !limit.passed())) {
      tickets++;
      const began = performance.now();
      await tolerate(() => q.publish(body(tickets)));
      let message: Delivered | undefined;
      // Every published message is someone's to receive: keep at it past the deadline.
      for (let tries = 0; !message && tries < 60; tries++)
        [message] = (await tolerate(() => q.receive({ waitSeconds: 1 }))) ?? [];
      if (!message) break;
      if ((await tolerate(() => q.ack(message.receipt))) === undefined) continue;
      done++;
      cycles.push(performance.now() - began);
    }
  });
  const seconds = (performance.now() - started) / 1000;
  const byTag = server.counter.take();
  const recorded = server.counter.takeRecording();
  const tally = tallyOf(byTag, ['publish', 'receive', 'ack']);
  const consumer = tallyOf(byTag, ['receive', 'ack']);

  // The raw run: same table, its own client (same middleware, so the same request options).
  const { Item: meta } = await withTag('setup', () =>
    server.client.send(
      new GetItemCommand({
        TableName: server.tableName,
        Key: { pk: { S: `Q#${queue}` }, sk: { S: '#META' } },
      }),
    ),
  );
  const rawClient = dynamoClient(endpoint);
  let raw: ReplayResult;
  try {
    raw = await replayRaw(rawClient, server.tableName, recorded, workers, meta, rawMs);
  } finally {
    rawClient.destroy();
  }
  const messagesPerSecond = done / seconds;
  // A raw run cut short by its deadline did a share of the messages' requests.
  const rawMessagesPerSecond = (done * (raw.requests / recorded.length)) / raw.seconds;
  return {
    workers,
    messages: done,
    seconds: round(seconds, 2),
    messagesPerSecond: round(messagesPerSecond),
    requests: tally.total,
    byCommand: tally.requests,
    requestsPerMessage: round(tally.total / done, 2),
    writesPerMessage: round(tally.writes / done, 2),
    consumerWritesPerMessage: round(consumer.writes / done, 3),
    lostClaims: tally.conditionFailures,
    cycleMs: summarize(cycles),
    raw: { ...raw, messagesPerSecond: round(rawMessagesPerSecond) },
    ratio: round(messagesPerSecond / rawMessagesPerSecond, 2),
    complete: done === sizes.e2eMessages,
  };
}

export interface ConcurrencyResults {
  drain: DrainResults;
  e2e: EndToEndResults;
}

/** Of `ms`: a tenth to fill the queue, the rest in three: drain, end to end, raw. */
export async function measureConcurrency(
  endpoint: string,
  consumers: number,
  sizes: Sizes,
  ms: number,
): Promise<ConcurrencyResults> {
  return withServer(endpoint, async (server) => {
    const drained = await drain(server, consumers, sizes, ms * 0.1, ms * 0.3);
    const e2e = await endToEnd(endpoint, server, consumers, sizes, ms * 0.3, ms * 0.3);
    return { drain: drained, e2e };
  });
}

// ---------------------------------------------------------------------------------------------

export interface LatencyResults {
  /** Published through the same server (its in-process wake-up reaches the waiting receive). */
  sameServer: Summary;
  /** Published through another server on the same table, as another process or Lambda would. */
  otherServer: Summary;
}

async function publishToReceive(
  consumerUrl: string,
  producerUrl: string,
  queue: string,
  samples: number,
  timeoutMs: number,
): Promise<number[]> {
  const consumer = queueClient(consumerUrl, queue);
  const producer = queueClient(producerUrl, queue);
  const latencies: number[] = [];
  const limit = deadline(timeoutMs);
  for (let i = 0; i < samples && (i < 5 || !limit.passed()); i++) {
    const waiting = consumer.receive({ waitSeconds: 5 });
    // Let the long poll reach its wait before publishing.
    await sleep(40 + Math.random() * 60);
    const sent = performance.now();
    await tolerate(() => producer.publish(body(i)));
    const [message] = (await tolerate(() => waiting)) ?? [];
    if (!message) continue;
    latencies.push(performance.now() - sent);
    await tolerate(() => consumer.ack(message.receipt));
  }
  return latencies;
}

/** Publish → receive latency to a long-polling consumer. */
export async function measureLatency(endpoint: string, sizes: Sizes, ms: number): Promise<LatencyResults> {
  return withServer(endpoint, async (server) => {
    await queueClient(server.url, 'latency').create();
    const peer = await server.startPeer();
    const same = await publishToReceive(server.url, server.url, 'latency', sizes.latencySamples, ms / 2);
    const other = await publishToReceive(server.url, peer.url, 'latency', sizes.latencySamples, ms / 2);
    return { sameServer: summarize(same), otherServer: summarize(other) };
  });
}

export interface DelayResults {
  published: number;
  delivered: number;
  /** Delivered time minus due time, ms. */
  latenessMs: Summary;
  early: number;
}

/** Delayed messages (due 0.5 s to 0.5 s + spread ahead) to two long-polling consumers. */
export async function measureDelay(endpoint: string, sizes: Sizes, ms: number): Promise<DelayResults> {
  return withServer(endpoint, async (server) => {
    const q = queueClient(server.url, 'delay');
    await q.create();
    const lateness: number[] = [];
    let early = 0;
    let published = 0;
    let producing = true;
    // Consumers wait for every published message, or until the deadline plus the latest due time.
    const limit = deadline(ms + sizes.delaySpreadMs + 3_000);
    const publishing = deadline(ms);
    const consumers = inParallel(2, async () => {
      while ((producing || lateness.length + early < published) && !limit.passed()) {
        const messages = (await tolerate(() => q.receive({ waitSeconds: 2, maxMessages: 10 }))) ?? [];
        const now = Date.now();
        for (const message of messages) {
          const late = now - Date.parse(message.deliverAt);
          if (late < 0) early++;
          else lateness.push(late);
        }
        if (messages.length > 0) await tolerate(() => q.ackBatch(messages.map((message) => message.receipt)));
      }
    });
    // Publishing stops early enough for the last message to come due well within the deadline.
    for (let i = 0; i < sizes.delayMessages && (i < 5 || !publishing.passed()); i++) {
      const deliverAt = new Date(Date.now() + 500 + Math.random() * sizes.delaySpreadMs).toISOString();
      if (await tolerate(() => q.publish(body(i), { deliverAt }))) published++;
      await sleep(sizes.delaySpreadMs / sizes.delayMessages / 2);
    }
    producing = false;
    await consumers;
    return { published, delivered: lateness.length + early, latenessMs: summarize(lateness), early };
  });
}

// ---------------------------------------------------------------------------------------------

export interface ConsumerStartResults {
  /** Published through the server that runs the consumers (as `npm start` runs them). */
  sameServer: Summary;
  /** Published through another server on the same table. */
  otherServer: Summary;
}

/** Publish → handler start of an event-driven consumer (functions/local/consumers.ts). */
export async function measureConsumerStart(
  endpoint: string,
  sizes: Sizes,
  ms: number,
): Promise<ConsumerStartResults> {
  return withServer(endpoint, async (server) => {
    const queue = 'consumer-start';
    await queueClient(server.url, queue).create();
    const peer = await server.startPeer();
    const started = new Map<number, number>();
    const consumers = await startConsumers({
      engine: server.engine,
      consumers: [toConsumer(queue, 'bench#started', { batchSize: 1, concurrency: 1 })],
      load: async () => async (event: { Records: { body: string }[] }) => {
        const now = performance.now();
        for (const record of event.Records) {
          const parsed = JSON.parse(record.body) as { n?: number } | string;
          const n = typeof parsed === 'string' ? (JSON.parse(parsed) as { n: number }).n : parsed.n;
          if (typeof n === 'number') started.set(n, now);
        }
      },
      log: () => {},
    });
    const measure = async (producerUrl: string, first: number, limit: Deadline) => {
      const producer = queueClient(producerUrl, queue);
      const latencies: number[] = [];
      for (let i = 0; i < sizes.latencySamples && (i < 5 || !limit.passed()); i++) {
        const n = first + i;
        // The consumer is back in its long poll before the next publish.
        await sleep(40 + Math.random() * 60);
        const sent = performance.now();
        if (!(await tolerate(() => producer.publish(body(n))))) continue;
        for (let waited = 0; !started.has(n) && waited < 5_000; waited += 2) await sleep(2);
        const at = started.get(n);
        if (at !== undefined) latencies.push(at - sent);
      }
      return latencies;
    };
    try {
      const same = await measure(server.url, 0, deadline(ms / 2));
      const other = await measure(peer.url, 1_000_000, deadline(ms / 2));
      return { sameServer: summarize(same), otherServer: summarize(other) };
    } finally {
      await consumers.stop();
    }
  });
}
