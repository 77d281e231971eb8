/**
 * Message rates through this server process: publishes, deliveries and acks per queue per second,
 * counted in memory as the engine calls they come from return. It costs no DynamoDB request (a
 * counter item written on every publish and ack would add to the hot path that docs/performance.md's bars bound), and
 * so it only sees what this process did: locally that is everything (the API and the local
 * consumers share one engine), deployed every Lambda instance counts its own requests only.
 * Answered by `GET /v1/queues/{queue}/rates` (routes/rates.ts).
 */
import type { Clock, Engine } from '../core/engine';

export type RateKind = 'published' | 'delivered' | 'acked';
const KINDS: readonly RateKind[] = ['published', 'delivered', 'acked'];

/** Rates are the events of the last this many seconds, divided by it. */
export const RATE_WINDOW_SECONDS = 10;
/** Queues remembered at most; the one unused the longest is forgotten first. */
export const MAX_METERED_QUEUES = 10_000;

interface Counter {
  total: number;
  /** Events per second of the last RATE_WINDOW_SECONDS seconds, by `second % window`. */
  buckets: number[];
  /** The epoch second each bucket holds (a bucket of an older second counts as empty). */
  seconds: number[];
}

export interface QueueRate {
  /** Events per second over the window. */
  perSecond: number;
  /** Events since `since`. */
  total: number;
}

export interface QueueRates {
  windowSeconds: number;
  /** Epoch ms: when this process started counting. */
  since: number;
  published: QueueRate;
  delivered: QueueRate;
  acked: QueueRate;
}

const newCounter = (): Counter => ({
  total: 0,
  buckets: new Array(RATE_WINDOW_SECONDS).fill(0),
  seconds: new Array(RATE_WINDOW_SECONDS).fill(-1),
});

export class RateMeter {
  private readonly queues = new Map<string, Record<RateKind, Counter>>();
  readonly since: number;

  constructor(private readonly clock: Clock = Date.now) {
    this.since = clock();
  }

  record(queue: string, kind: RateKind, count: number): void {
    if (count <= 0) return;
    let counters = this.queues.get(queue);
    if (counters) {
      // Map order is insertion order: moving it to the end keeps the eviction order LRU.
      this.queues.delete(queue);
    } else {
      counters = { published: newCounter(), delivered: newCounter(), acked: newCounter() };
      if (this.queues.size >= MAX_METERED_QUEUES) {
        const oldest = this.queues.keys().next().value;
        if (oldest !== undefined) this.queues.delete(oldest);
      }
    }
    this.queues.set(queue, counters);
    const counter = counters[kind];
    const second = Math.floor(this.clock() / 1_000);
    const slot = second % RATE_WINDOW_SECONDS;
    if (counter.seconds[slot] !== second) {
      counter.seconds[slot] = second;
      counter.buckets[slot] = 0;
    }
    counter.buckets[slot] = (counter.buckets[slot] ?? 0) + count;
    counter.total += count;
  }

  /** The queue's rates now; zeros for a queue this process has not seen. */
  rates(queue: string): QueueRates {
    const counters = this.queues.get(queue);
    const now = Math.floor(this.clock() / 1_000);
    const rate = (kind: RateKind): QueueRate => {
      const counter = counters?.[kind];
      if (!counter) return { perSecond: 0, total: 0 };
      let sum = 0;
      counter.seconds.forEach((second, slot) => {
        if (second > now - RATE_WINDOW_SECONDS && second <= now) sum += counter.buckets[slot] ?? 0;
      });
      return { perSecond: sum / RATE_WINDOW_SECONDS, total: counter.total };
    };
    const [published, delivered, acked] = KINDS.map(rate) as [QueueRate, QueueRate, QueueRate];
    return { windowSeconds: RATE_WINDOW_SECONDS, since: this.since, published, delivered, acked };
  }
}

/**
 * The engine, counting into `meter` what its publish, receive and ack calls did: messages stored
 * (duplicates are not), messages delivered (auto-acked ones are also acked), acks that held.
 * Every other method is the engine's own (the wrapper's prototype is the engine).
 */
export function meteredEngine(engine: Engine, meter: RateMeter): Engine {
  const metered = Object.create(engine) as Engine;
  metered.publish = async (queue, input, options) => {
    const result = await engine.publish(queue, input, options);
    if (!result.duplicate) meter.record(queue, 'published', 1);
    return result;
  };
  metered.publishBatch = async (queue, inputs, options) => {
    const results = await engine.publishBatch(queue, inputs, options);
    meter.record(queue, 'published', results.filter((entry) => entry.ok && !entry.value.duplicate).length);
    return results;
  };
  metered.publishToTopic = async (topic, input) => {
    const result = await engine.publishToTopic(topic, input);
    for (const delivery of result.deliveries) {
      if (!delivery.duplicate) meter.record(delivery.queue, 'published', 1);
    }
    return result;
  };
  metered.receive = async (queue, options) => {
    const messages = await engine.receive(queue, options);
    meter.record(queue, 'delivered', messages.length);
    if (options.ack === 'auto') meter.record(queue, 'acked', messages.length);
    return messages;
  };
  metered.ack = async (queue, receipt) => {
    await engine.ack(queue, receipt);
    meter.record(queue, 'acked', 1);
  };
  metered.ackBatch = async (queue, receipts) => {
    const results = await engine.ackBatch(queue, receipts);
    meter.record(queue, 'acked', results.filter((entry) => entry.ok).length);
    return results;
  };
  return metered;
}
