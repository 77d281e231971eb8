/**
 * Sharded queues: which shard a message goes to, which shards a receive looks at, and how many
 * shards a queue gets. A queue of N shards keeps its messages in N partitions (keys.ts): shard 0
 * is the partition a queue of one shard has always had, so growing keeps everything in place.
 *
 * - A message without a group goes to a shard chosen at random (a batch: one shard, one
 *   sequence request). A message with a group goes to its group's shard: hash(groupId) mod N for a
 *   new group, and for a group that already has members the shard it started in, found under each
 *   shard count the queue has had (`shardSteps`), so growing N never moves a live group.
 * - A receive looks first at the shards this process last saw non-empty (two picked at random,
 *   the fuller one taken: power of two choices), then at the others from a rotating start, at most
 *   `MAX_PROBES` a call: O(1) queries on a busy queue, a bounded number on a nearly empty one.
 *   Long polls pass over shards found empty a moment ago (`EMPTY_MEMORY_MS`).
 */
import { ValidationError } from './errors';
import { hashSlot, shardPartition } from './keys';
import type { QueueFields } from './types';

export const MAX_SHARDS = 1_024;
/** A shard takes about 250 messages/s at its partition's limit; run it at ~70 % (docs/performance.md). */
export const MESSAGES_PER_SECOND_PER_SHARD = 175;
/** Shard counts a queue may go through (each lookup of a live group reads one G# item per step). */
export const MAX_SHARD_STEPS = 8;
/** Shards one receive call looks at when the ones it looks at first are empty. */
export const MAX_PROBES = 4;

interface Sharded {
  name: string;
  inc: string;
  shards: number;
  shardSteps?: number[];
}

export const shardCount = (meta: { shards?: number }) => meta.shards ?? 1;
export const isSharded = (meta: { shards?: number }) => shardCount(meta) > 1;

/** Every message partition of the queue's current incarnation, shard 0 first. */
export const partitionsOf = (meta: Sharded) =>
  Array.from({ length: shardCount(meta) }, (_, shard) => shardPartition(meta.name, meta.inc, shard));

export const randomShard = (meta: { shards?: number }) => Math.floor(Math.random() * shardCount(meta));

/** The shard counts the queue has had, ascending, the current one last. */
export const stepsOf = (meta: Sharded) => meta.shardSteps ?? [shardCount(meta)];

/**
 * Where a group may live: hash(groupId) mod N under each shard count the queue has had, newest
 * first (a new group starts in the first one). Distinct shards only.
 */
export function groupHomes(meta: Sharded, groupId: string): number[] {
  const homes = stepsOf(meta)
    .slice()
    .reverse()
    .map((count) => hashSlot(groupId, count));
  return [...new Set(homes)];
}

/** A bounded queue's share of `maxMessages` for one shard; the shares add up to it exactly. */
export function shardBound(maxMessages: number, shards: number, shard: number): number {
  return Math.floor(maxMessages / shards) + (shard < maxMessages % shards ? 1 : 0);
}

/**
 * The `shards` a create or update ends with: `shards` as sent, or picked by `throughput: 'high'`
 * from `targetMessagesPerSecond` (never fewer than the queue has). Undefined: unchanged.
 * A decrease is a ValidationError naming `shards`.
 */
export function resolveShards(current: number | undefined, fields: QueueFields): number | undefined {
  const { throughput, targetMessagesPerSecond } = fields;
  if (throughput === undefined && targetMessagesPerSecond !== undefined) {
    throw new ValidationError("targetMessagesPerSecond: needs throughput 'high'.");
  }
  let shards = fields.shards;
  if (throughput === 'high') {
    if (shards !== undefined) {
      throw new ValidationError("shards: send shards, or throughput 'high' with a target rate, not both.");
    }
    if (targetMessagesPerSecond === undefined) {
      throw new ValidationError("targetMessagesPerSecond: throughput 'high' needs a target rate.");
    }
    const picked = Math.min(MAX_SHARDS, Math.ceil(targetMessagesPerSecond / MESSAGES_PER_SECOND_PER_SHARD));
    shards = Math.max(picked, current ?? 1);
  }
  if (shards === undefined) return undefined;
  if (!Number.isInteger(shards) || shards < 1 || shards > MAX_SHARDS) {
    throw new ValidationError(`shards: an integer from 1 to ${MAX_SHARDS}.`);
  }
  if (current !== undefined && shards < current) {
    throw new ValidationError(`shards: may only grow (the queue has ${current}, ${shards} was sent).`);
  }
  return shards;
}

/**
 * Which look of a receive asks: a short poll (`waitSeconds` 0), a long poll's first look, or one
 * of its later looks (the ones before found nothing).
 */
export type Look = 'short' | 'first' | 'later';

/**
 * How long a long poll passes over a shard this process found empty (unless it published there
 * since). Short enough that a message another process put there is still found within about
 * half a second more; long enough that consumers outnumbering the ready messages stop querying
 * the same empty shards on every look (docs/performance.md, "Sharded queues").
 */
export const EMPTY_MEMORY_MS = 500;

interface ShardsSeen {
  /** Candidates the last query of a shard found, for the shards where it found some. */
  found: Map<number, number>;
  /** When a query last found a shard empty (this hint's clock). */
  emptyAt: Map<number, number>;
  /** Where the rotation goes on. */
  cursor?: number;
}

/**
 * What this process last saw of each shard of a queue: how many candidates its last query found
 * there, and when it last found one empty. Per process and approximate by nature: it only orders
 * the looking, every claim is still decided by the store.
 */
export class ShardHints {
  private readonly queues = new Map<string, ShardsSeen>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /**
   * The shards to look at, in order, at most `MAX_PROBES` (all of them when N is small):
   * - the shards seen non-empty first (of two picked at random the fuller one, then the others);
   * - then shards from a rotating start, so that successive calls cover every shard. A short poll
   *   and a long poll's first look fill up to `MAX_PROBES`; a later look takes one more only (its
   *   earlier look found nothing), so an idle long poll costs about one query a look, as on one
   *   shard. Long polls pass over the shards found empty in the last `EMPTY_MEMORY_MS`; a short
   *   poll has one look only, so it does not.
   * - `working`: shards where receives of this process are under way go last, so that its
   *   consumers spread over the shards with messages instead of crowding one.
   */
  probeOrder(meta: Sharded, look: Look = 'short', working?: ReadonlyMap<number, number>): number[] {
    const count = shardCount(meta);
    if (count === 1) return [0];
    const seen = this.seenOf(meta);
    const busy = [...seen.found.entries()].filter(([shard]) => shard < count);
    const order: number[] = [];
    if (busy.length > 0) {
      // Power of two choices: of two shards seen non-empty, the fuller first; then the others
      // seen non-empty, in random order.
      const a = busy[Math.floor(Math.random() * busy.length)] as [number, number];
      const b = busy[Math.floor(Math.random() * busy.length)] as [number, number];
      order.push((a[1] >= b[1] ? a : b)[0]);
      const rest = busy.map(([shard]) => shard).filter((shard) => shard !== order[0]);
      shuffle(rest);
      order.push(...rest.slice(0, MAX_PROBES - 1));
    }
    const wanted = Math.min(count, look === 'later' ? Math.min(MAX_PROBES, order.length + 1) : MAX_PROBES);
    const recentlyEmpty = (shard: number) =>
      look !== 'short' &&
      this.now() - (seen.emptyAt.get(shard) ?? Number.NEGATIVE_INFINITY) < EMPTY_MEMORY_MS;
    let next = seen.cursor ?? Math.floor(Math.random() * count);
    for (let step = 0; step < count && order.length < wanted; step++, next++) {
      const shard = next % count;
      if (!order.includes(shard) && !recentlyEmpty(shard)) order.push(shard);
    }
    seen.cursor = next % count;
    if (!working || working.size === 0) return order;
    const idle = order.filter((shard) => !working.get(shard));
    return [...idle, ...order.filter((shard) => working.get(shard))];
  }

  /** What a query of `shard` found: the number of candidates (0 for none). */
  record(meta: Sharded, shard: number, found: number): void {
    const seen = this.seenOf(meta);
    if (found > 0) {
      seen.found.set(shard, found);
      seen.emptyAt.delete(shard);
    } else {
      seen.found.delete(shard);
      seen.emptyAt.set(shard, this.now());
    }
  }

  /** A publish of this process put messages into `shard`. */
  published(meta: Sharded, shard: number, count: number): void {
    const seen = this.seenOf(meta);
    seen.found.set(shard, (seen.found.get(shard) ?? 0) + count);
    seen.emptyAt.delete(shard);
  }

  private seenOf(meta: Sharded): ShardsSeen {
    const key = `${meta.name}#${meta.inc}`;
    let seen = this.queues.get(key);
    if (!seen) {
      seen = { found: new Map(), emptyAt: new Map() };
      this.queues.set(key, seen);
    }
    return seen;
  }
}

function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
}
