/**
 * One queue under DynamoDB's partition limit, scaled down (the throttle simulator,
 * throttle/proxy.ts): producers and consumers on the engine, whose DynamoDB client goes through
 * the simulator, for a fixed window; then the producers stop and the consumers drain what is
 * left. Every publish that succeeded must be received and acked exactly once (lost, duplicated:
 * 0), and a message group's members must arrive in publish order (one publisher per group,
 * one member in flight at a time: member n+1 right after member n). Used by `npm run bench --
 * --scale` (scale-run.ts) at 1, 2, 4, 8 and 16 shards, and by test/throttle/scale.test.ts small.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoEngine } from '../functions/core/dynamo-engine';
import { ServiceUnavailableError } from '../functions/core/errors';
import { PartitionThrottleRetryStrategy } from '../functions/core/retry-strategy';
import { ensureTable } from '../functions/core/table';
import type { QueueConfig } from '../functions/core/types';
import { startThrottleProxy, type ThrottleCounts } from './throttle/proxy';

export interface ScaleOptions {
  /** DynamoDB Local (the simulator is put in front of it). */
  endpoint: string;
  shards: number;
  /** Write units a second per partition. */
  writeUnitsPerSecond: number;
  /** How long producers publish; the drain after it is bounded by `drainMs`. */
  windowMs: number;
  drainMs: number;
  producers: number;
  consumers: number;
  /** Every `groupEvery`-th message of a producer belongs to one of its groups. @default 4 */
  groupEvery?: number;
  /** Stop publishing after this many (small runs). @default unbounded within the window */
  maxMessages?: number;
}

export interface ScaleResult {
  shards: number;
  writeUnitsPerSecond: number;
  /**
   * Every acked message over the time from the first publish to the last ack (window + drain):
   * the queue's delivered rate. Acks within the window alone depend on how the partition's
   * units split between publishers and consumers (publishes can starve claims), not on sharding.
   */
  messagesPerSecond: number;
  /** Acks within the window, per second (reported beside it). */
  windowMessagesPerSecond: number;
  windowSeconds: number;
  published: number;
  acked: number;
  lost: number;
  duplicated: number;
  groupOrderViolations: number;
  /** Requests that reached DynamoDB (through the simulator) per acked message, drain included. */
  requestsPerMessage: number;
  /** Requests that reached DynamoDB, by operation (what requestsPerMessage is made of). */
  requests: Record<string, number>;
  /** Write requests the simulator refused, by operation (the SDK retries them first). */
  throttled: Record<string, number>;
  throttledRequests: number;
  /** 503s the engine answered the workers (after the SDK's retries), retried by them. */
  unavailable: number;
  /** messagesPerSecond scaled to DynamoDB's 1,000 write units a partition. */
  awsMessagesPerSecond: number;
  awsMessagesPerSecondPerShard: number;
  /** What the queue was created as (the engine may not know `shards` yet). */
  queueShards: number | undefined;
  /** The five partitions that took the most write units (table or index), with their units a second: where the limit binds. */
  hottestPartitions: { partition: string; unitsPerSecond: number }[];
}

const AWS_PARTITION_WCU = 1_000;
const sum = (counts: Record<string, number>) => Object.values(counts).reduce((total, n) => total + n, 0);
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runScale(options: ScaleOptions): Promise<ScaleResult> {
  const proxy = await startThrottleProxy(options.endpoint, {
    writeUnitsPerSecond: options.writeUnitsPerSecond,
  });
  const direct = new DynamoDBClient({
    endpoint: options.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  // The retry strategy the deployed functions and the local server use (core/retry-strategy.ts).
  const client = new DynamoDBClient({
    endpoint: proxy.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    retryStrategy: new PartitionThrottleRetryStrategy(),
  });
  try {
    const tableName = `scale-${randomUUID()}`;
    await ensureTable(direct, tableName);
    const engine = new DynamoEngine({ client, tableName });
    const queue = `scale-${options.shards}`;
    // `shards` is a plain queue field; 1 is the default, so a 1-shard queue is created as any other.
    const config = (options.shards > 1 ? { shards: options.shards } : {}) as Partial<QueueConfig>;
    const { queue: created } = await engine.putQueue(queue, { ...config, visibilityTimeoutSeconds: 120 });
    const queueShards = (created as unknown as { shards?: number }).shards;
    if (options.shards > 1 && queueShards !== options.shards) {
      throw new Error(
        `the engine created ${queue} with shards ${queueShards ?? 'unset'}, not ${options.shards}`,
      );
    }
    proxy.take();

    let unavailable = 0;
    /** Retries a step the store refused (503 after the SDK's own retries), with backoff. */
    const persist = async <T>(step: () => Promise<T>): Promise<T> => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await step();
        } catch (error) {
          if (!(error instanceof ServiceUnavailableError) || attempt >= 50) throw error;
          unavailable++;
          await pause(Math.random() * Math.min(1_000, 50 * 2 ** attempt));
        }
      }
    };

    const groupEvery = options.groupEvery ?? 4;
    const published = new Set<string>();
    const receivedCount = new Map<string, number>();
    const ackedAt: number[] = [];
    const lastOfGroup = new Map<string, number>();
    let violations = 0;
    let publishing = true;
    let publishedCount = 0;
    const started = performance.now();
    const windowEnd = started + options.windowMs;

    const producers = Array.from({ length: options.producers }, async (_, p) => {
      const nextOfGroup = new Map<string, number>();
      for (let i = 0; publishing && performance.now() < windowEnd; i++) {
        if (options.maxMessages !== undefined && publishedCount >= options.maxMessages) break;
        publishedCount++;
        const group = i % groupEvery === 0 ? `p${p}-g${(i / groupEvery) % 4}` : undefined;
        const n = group ? (nextOfGroup.get(group) ?? 0) : i;
        if (group) nextOfGroup.set(group, n + 1);
        const { id } = await persist(() =>
          engine.publish(queue, {
            body: { p, i, group, n, payload: 'x'.repeat(120) },
            ...(group ? { groupId: group } : {}),
          }),
        );
        published.add(id);
      }
    });

    const drainEnd = () => windowEnd + options.drainMs;
    const consumers = Array.from({ length: options.consumers }, async () => {
      while (performance.now() < drainEnd()) {
        const idle = !publishing && receivedCount.size >= published.size;
        if (idle) return;
        const messages = await persist(() => engine.receive(queue, { maxMessages: 10, waitSeconds: 5 }));
        await Promise.all(
          messages.map(async (message) => {
            const seen = receivedCount.get(message.id) ?? 0;
            receivedCount.set(message.id, seen + 1);
            const content = message.body as { group?: string; n: number };
            if (seen === 0 && content.group) {
              const last = lastOfGroup.get(content.group) ?? -1;
              if (content.n !== last + 1) violations++;
              lastOfGroup.set(content.group, Math.max(last, content.n));
            }
            await persist(() => engine.ack(queue, message.receipt as string));
            ackedAt.push(performance.now());
          }),
        );
      }
    });

    await Promise.all(producers);
    publishing = false;
    await Promise.all(consumers);
    const counts: ThrottleCounts = proxy.take();
    const windowSeconds = Math.min(options.windowMs, performance.now() - started) / 1000;
    const inWindow = ackedAt.filter((at) => at <= windowEnd).length;
    const acked = ackedAt.length;
    const lost = [...published].filter((id) => !receivedCount.has(id)).length;
    const duplicated = [...receivedCount.values()].reduce((total, n) => total + (n - 1), 0);
    const lastAck = ackedAt.length === 0 ? started : Math.max(...ackedAt);
    const messagesPerSecond = ackedAt.length === 0 ? 0 : ackedAt.length / ((lastAck - started) / 1000);
    const aws = messagesPerSecond * (AWS_PARTITION_WCU / options.writeUnitsPerSecond);
    const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
    return {
      shards: options.shards,
      writeUnitsPerSecond: options.writeUnitsPerSecond,
      messagesPerSecond: round(messagesPerSecond),
      windowMessagesPerSecond: round(inWindow / windowSeconds),
      windowSeconds: round(windowSeconds, 1),
      published: published.size,
      acked,
      lost,
      duplicated,
      groupOrderViolations: violations,
      requestsPerMessage: acked === 0 ? 0 : round(sum(counts.forwarded) / acked),
      requests: counts.forwarded,
      throttled: counts.throttled,
      throttledRequests: sum(counts.throttled),
      unavailable,
      awsMessagesPerSecond: Math.round(aws),
      awsMessagesPerSecondPerShard: Math.round(aws / options.shards),
      queueShards,
      hottestPartitions: Object.entries(counts.units)
        .sort(([, a], [, b]) => b - a)
        .slice(0, 5)
        .map(([partition, units]) => ({
          partition: partition.replace(tableName, '<table>'),
          unitsPerSecond: round(units / ((performance.now() - started) / 1000)),
        })),
    };
  } finally {
    client.destroy();
    direct.destroy();
    await proxy.close();
  }
}
