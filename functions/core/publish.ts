/**
 * Publishing. The sequence range comes first (sequence.ts), then the messages are written:
 *
 *   plain, unbounded   PutItem (one) / BatchWriteItem (many; UnprocessedItems retried)
 *   plain, bounded     TransactWrite [Put messages counted] + [#SIZE ADD n IF size <= max - n]
 *   otherwise, one transaction per message, in input order ("unit"):
 *     [Put D#<dedup id> IF attribute_not_exists(pk) OR expiresAt <= :now]   duplicate check first
 *     [group join (groups.ts)]
 *      Put message
 *     [#SIZE ADD 1 IF size <= max - 1]                                    then the bound
 *
 * A message id is 128 random bits (base64url, 22 characters): unique without coordination.
 */
import { randomBytes } from 'node:crypto';
import { PutItemCommand, type TransactWriteItem, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { batchWrite, putRequest } from './batch-write';
import { dedupKeyFor, olderDedupKey } from './dedup-keys';
import type { Clock, PublishOptions } from './engine';
import { QueueFullError, ValidationError } from './errors';
import { groupRule } from './group-rate';
import { addMessage } from './groups';
import { shardOfPartition, shardPartition } from './keys';
import { limitGroupOf, withGroupId } from './limit-group';
import { type MessageItem, newMessageItem } from './message-item';
import { configForPlacing, homeFor } from './placement';
import type { QueueMeta, QueueMetaCache } from './queue-meta';
import { reserveInShard } from './sequence';
import type { GroupHome } from './shard-lookup';
import { randomShard, ShardHints, shardBound, shardCount } from './shards';
import { backoff, type Signals } from './signals';
import { readSize, sizeReserve } from './size';
import { classify, type Store, toAttributes } from './store';
import type { BatchEntry, PublishInput, PublishResult } from './types';

export const newMessageId = () => randomBytes(16).toString('base64url');

/** Shards a plain message of a bounded sharded queue tries before it is refused as full. */
const FULL_SHARD_TRIES = 3;

/** One message about to be written to one queue. */
export interface Entry {
  item: MessageItem;
  deduplicationId?: string;
  /** Other shards' partitions its group could live in (a new group checks it is in none). */
  elsewhere?: string[];
}

/** The writes of one message's transaction, and which of them may fail for which reason. */
export interface Unit {
  writes: TransactWriteItem[];
  item: MessageItem;
  dedupIndex: number;
  /** The check of the record's key from before the queue was sharded, or -1. */
  olderDedupIndex: number;
  sizeIndex: number;
}

/** Whether the write at `index` of the unit failing means: a duplicate. */
export const isDuplicateAt = (unit: Unit, index: number) =>
  index >= 0 && (index === unit.dedupIndex || index === unit.olderDedupIndex);

export function buildEntry(
  meta: QueueMeta,
  input: PublishInput,
  seq: number,
  now: number,
  home: GroupHome = { shard: 0, elsewhere: [] },
): Entry {
  const requested = input.deliverAt ?? now + (input.delaySeconds ?? meta.delaySeconds) * 1000;
  const item = newMessageItem({
    queue: meta.name,
    inc: meta.inc,
    order: meta.order,
    id: newMessageId(),
    seq,
    body: JSON.stringify(input.body),
    attributes: input.attributes ?? {},
    priority: input.priority ?? 0,
    // Groups exist in fifo queues only (a lifo queue takes a topic's copy without its group).
    // `input` carries its limit group already (limit-group.ts: read where it was placed).
    groupId: meta.order === 'fifo' ? input.groupId : undefined,
    publishedAt: now,
    deliverAt: Math.max(now, requested),
    retentionSeconds: meta.retentionSeconds,
    counted: meta.maxMessages > 0,
    shard: home.shard,
  });
  const deduplicated = input.deduplicationId !== undefined && meta.deduplicationWindowSeconds > 0;
  return {
    item,
    ...(deduplicated ? { deduplicationId: input.deduplicationId } : {}),
    ...(home.elsewhere.length > 0 ? { elsewhere: home.elsewhere } : {}),
  };
}

/** A bounded queue's bound for the shard of `partition` (the whole bound with one shard). */
export const boundOf = (meta: QueueMeta, partition: string) =>
  shardBound(meta.maxMessages, shardCount(meta), shardOfPartition(partition));

export async function buildUnit(store: Store, meta: QueueMeta, entry: Entry, now: number): Promise<Unit> {
  const writes: TransactWriteItem[] = [];
  let dedupIndex = -1;
  let olderDedupIndex = -1;
  if (entry.deduplicationId !== undefined) {
    dedupIndex = writes.length;
    const expiresAt = now + meta.deduplicationWindowSeconds * 1000;
    writes.push({
      Put: {
        TableName: store.tableName,
        Item: toAttributes({
          ...dedupKeyFor(meta, entry.deduplicationId),
          id: entry.item.id,
          deliverAt: entry.item.deliverAt,
          expiresAt,
          ttl: Math.ceil(expiresAt / 1000) + 3600,
        }),
        // A record past its window is as good as none (TTL deletes it only later).
        ConditionExpression: 'attribute_not_exists(#pk) OR #expiresAt <= :now',
        ExpressionAttributeNames: { '#pk': 'pk', '#expiresAt': 'expiresAt' },
        ExpressionAttributeValues: toAttributes({ ':now': now }),
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    });
    // Grown from one shard within the window: its record may still be at the old key.
    const older = olderDedupKey(meta, entry.deduplicationId, now);
    if (older) {
      olderDedupIndex = writes.length;
      writes.push({
        ConditionCheck: {
          TableName: store.tableName,
          Key: toAttributes(older),
          ConditionExpression: 'attribute_not_exists(#pk) OR #expiresAt <= :now',
          ExpressionAttributeNames: { '#pk': 'pk', '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: toAttributes({ ':now': now }),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      });
    }
  }
  const added = await addMessage(store, entry.item, entry.elsewhere ?? [], groupRule(meta), now);
  const item = added.item;
  writes.push(...added.writes);
  let sizeIndex = -1;
  if (item.counted) {
    sizeIndex = writes.length;
    writes.push(sizeReserve(store.tableName, item.pk, 1, boundOf(meta, item.pk)));
  }
  return { writes, item, dedupIndex, olderDedupIndex, sizeIndex };
}

/** Indexes of entries linked by a shared group or deduplication id, each chain in input order. */
export function dependencyChains(entries: Entry[]): number[][] {
  const parent = entries.map((_, i) => i);
  const root = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i] as number] as number;
    return i;
  };
  const firstWith = new Map<string, number>();
  entries.forEach((entry, i) => {
    const links = [
      entry.item.grp === undefined ? undefined : `g:${entry.item.grp}`,
      entry.deduplicationId === undefined ? undefined : `d:${entry.deduplicationId}`,
    ];
    for (const link of links) {
      if (link === undefined) continue;
      const first = firstWith.get(link);
      if (first === undefined) firstWith.set(link, i);
      else parent[root(i)] = root(first);
    }
  });
  const chains = new Map<number, number[]>();
  entries.forEach((_, i) => {
    const chain = chains.get(root(i)) ?? [];
    chain.push(i);
    chains.set(root(i), chain);
  });
  return [...chains.values()];
}

export const resultOf = (item: MessageItem): PublishResult => ({
  id: item.id,
  deliverAt: item.deliverAt,
  duplicate: false,
});

export class Publisher {
  constructor(
    private readonly store: Store,
    private readonly metas: QueueMetaCache,
    private readonly clock: Clock,
    private readonly signals: Signals,
    private readonly hints: ShardHints = new ShardHints(),
  ) {}

  async publish(queue: string, inputs: PublishInput[], options: PublishOptions = {}) {
    // Groups exist in fifo queues only; on a lifo queue an entry with a groupId is refused alone.
    // (A queue's order never changes, so a cached configuration answers this.) Only a groupId
    // the publisher sent counts: a lifo queue has no groupLimits, so no limit key gives one.
    const grouped = inputs.some((input) => input.groupId !== undefined);
    if (grouped && (await this.metas.get(queue)).order === 'lifo') {
      const accepted = inputs.flatMap((input, i) => (input.groupId === undefined ? [i] : []));
      const stored = await this.publishAll(
        queue,
        accepted.map((i) => inputs[i] as PublishInput),
        options,
      );
      const results: BatchEntry<PublishResult>[] = inputs.map(() => ({
        ok: false,
        error: new ValidationError(
          `groupId: queue '${queue}' is lifo; message groups exist in fifo queues only.`,
        ),
      }));
      accepted.forEach((i, k) => {
        results[i] = stored[k] as BatchEntry<PublishResult>;
      });
      return results;
    }
    return this.publishAll(queue, inputs, options);
  }

  private async publishAll(queue: string, given: PublishInput[], options: PublishOptions) {
    const config = await configForPlacing(this.store, this.metas, queue, given.length);
    const inputs = given.map((input) => withGroupId(input, limitGroupOf(config.meta, input)));
    const results = config.unsharded
      ? await this.publishTo(config.meta, { shard: 0, elsewhere: [] }, inputs, config.meta.seq, options)
      : await this.publishSharded(config.meta, inputs, options);
    if (results.some((result) => result.ok && !result.value.duplicate))
      this.signals.notify(`available:${queue}`);
    return results;
  }

  /**
   * A sharded queue: messages without a group go to one random shard, each group to its own;
   * every shard reserves its numbers in one request and stores its entries as a queue of one
   * shard would. Results come back in input order.
   */
  private async publishSharded(meta: QueueMeta, inputs: PublishInput[], options: PublishOptions) {
    const ungrouped = await homeFor(this.store, meta, undefined);
    const groupOf = inputs.map((input) => (meta.order === 'fifo' ? input.groupId : undefined));
    const groups = [...new Set(groupOf.flatMap((group) => (group === undefined ? [] : [group])))];
    const homes = new Map(
      await Promise.all(
        groups.map(async (group) => [group, await homeFor(this.store, meta, group)] as const),
      ),
    );
    const byShard = new Map<number, { home: GroupHome; indexes: number[] }[]>();
    groupOf.forEach((group, i) => {
      const home = group === undefined ? ungrouped : (homes.get(group) as GroupHome);
      const buckets = byShard.get(home.shard) ?? [];
      // One bucket per shard and set of other homes: entries of one bucket share their numbers' range.
      let bucket = buckets.find((b) => b.home.elsewhere.join() === home.elsewhere.join());
      if (!bucket) {
        bucket = { home, indexes: [] };
        buckets.push(bucket);
      }
      bucket.indexes.push(i);
      byShard.set(home.shard, buckets);
    });
    const results: BatchEntry<PublishResult>[] = new Array(inputs.length);
    await Promise.all(
      [...byShard.values()].flat().map(async ({ home, indexes }) => {
        // Messages without a group in a bounded queue try other shards while theirs is full
        // (without waiting, but for the last try); a group's messages stay in its shard.
        const movable = home === ungrouped && meta.maxMessages > 0;
        const tries = movable ? Math.min(FULL_SHARD_TRIES, shardCount(meta)) : 1;
        let pending = indexes;
        let shard = home.shard;
        const tried = new Set<number>();
        for (let attempt = 0; pending.length > 0 && attempt < tries; attempt++) {
          tried.add(shard);
          const last = attempt === tries - 1;
          const stored = await this.publishToShard(meta, { ...home, shard }, pending, inputs, {
            ...options,
            ...(last ? {} : { waitSeconds: 0 }),
          });
          const full: number[] = [];
          pending.forEach((i, k) => {
            const result = stored[k] as BatchEntry<PublishResult>;
            if (!last && !result.ok && result.error instanceof QueueFullError) full.push(i);
            else results[i] = result;
          });
          pending = full;
          while (tried.has(shard) && tried.size < shardCount(meta)) shard = randomShard(meta);
        }
      }),
    );
    return results;
  }

  private async publishToShard(
    meta: QueueMeta,
    home: GroupHome,
    indexes: number[],
    inputs: PublishInput[],
    options: PublishOptions,
  ) {
    const reserved = await reserveInShard(this.store, this.metas, meta, home.shard, indexes.length);
    const subset = indexes.map((i) => inputs[i] as PublishInput);
    const stored = await this.publishTo(reserved.meta, home, subset, reserved.seq, options);
    this.hints.published(meta, home.shard, stored.filter((result) => result.ok).length);
    return stored;
  }

  /** Stores `inputs` in one shard, whose numbers up to `lastSeq` were reserved for them. */
  private async publishTo(
    meta: QueueMeta,
    home: GroupHome,
    inputs: PublishInput[],
    lastSeq: number,
    options: PublishOptions,
  ): Promise<BatchEntry<PublishResult>[]> {
    const now = this.clock();
    const firstSeq = lastSeq - inputs.length + 1;
    const entries = inputs.map((input, i) => buildEntry(meta, input, firstSeq + i, now, home));
    const plain = entries.every(
      (entry) => entry.deduplicationId === undefined && entry.item.grp === undefined,
    );
    const deadline = performance.now() + (options.waitSeconds ?? 0) * 1000;
    if (plain && meta.maxMessages === 0) return this.storeUnbounded(entries.map((entry) => entry.item));
    if (plain) {
      const partition = shardPartition(meta.name, meta.inc, home.shard);
      return this.storeBounded(
        meta,
        partition,
        entries.map((entry) => entry.item),
        deadline,
        options.signal,
      );
    }
    const results: BatchEntry<PublishResult>[] = new Array(entries.length);
    // Entries that share a group or a deduplication id go one after the other, in input order
    // (a group's head is its earliest member; a repeated id is a duplicate of its first use);
    // independent chains go in parallel. A bounded queue takes them strictly in input order.
    const chains = meta.maxMessages > 0 ? [entries.map((_, i) => i)] : dependencyChains(entries);
    await Promise.all(
      chains.map(async (chain) => {
        for (const i of chain) {
          results[i] = await this.storeUnit(meta, entries[i] as Entry, now, deadline, options.signal);
        }
      }),
    );
    return results;
  }

  private async storeUnbounded(items: MessageItem[]): Promise<BatchEntry<PublishResult>[]> {
    if (items.length === 1) {
      await this.store.send(
        new PutItemCommand({ TableName: this.store.tableName, Item: toAttributes(items[0] as MessageItem) }),
      );
    } else {
      await batchWrite(this.store, items.map(putRequest));
    }
    return items.map((item) => ({ ok: true, value: resultOf(item) }));
  }

  /**
   * Takes as many messages as there is room for, in input order; waits until `deadline` for
   * room for the rest, then fails each remaining one with QueueFull.
   */
  private async storeBounded(
    meta: QueueMeta,
    partition: string,
    items: MessageItem[],
    deadline: number,
    signal?: AbortSignal,
  ) {
    const results: BatchEntry<PublishResult>[] = [];
    const bound = boundOf(meta, partition);
    let pending = items;
    for (let attempt = 0; pending.length > 0; attempt++) {
      const room = bound - (await readSize(this.store, partition));
      const take = pending.slice(0, Math.max(0, room));
      if (take.length > 0 && (await this.tryStoreCounted(partition, bound, take))) {
        results.push(...take.map((item) => ({ ok: true as const, value: resultOf(item) })));
        pending = pending.slice(take.length);
        attempt = -1;
        continue;
      }
      if (!(await this.waitForRoom(meta.name, deadline, attempt, signal))) break;
    }
    for (const _ of pending) results.push({ ok: false, error: new QueueFullError(meta.name) });
    return results;
  }

  private async tryStoreCounted(partition: string, bound: number, items: MessageItem[]): Promise<boolean> {
    try {
      await this.store.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            ...items.map((item) => ({ Put: { TableName: this.store.tableName, Item: toAttributes(item) } })),
            sizeReserve(this.store.tableName, partition, items.length, bound),
          ],
        }),
      );
      return true;
    } catch (error) {
      const cancellation = classify(error);
      if (
        cancellation.kind === 'cancelled' &&
        (cancellation.failedIndex === items.length || cancellation.conflict)
      )
        return false;
      throw error;
    }
  }

  private async storeUnit(
    meta: QueueMeta,
    entry: Entry,
    now: number,
    deadline: number,
    signal?: AbortSignal,
  ): Promise<BatchEntry<PublishResult>> {
    let conflicts = 0;
    for (let attempt = 0; ; attempt++) {
      const unit = await buildUnit(this.store, meta, entry, now);
      try {
        await this.store.send(new TransactWriteItemsCommand({ TransactItems: unit.writes }));
        return { ok: true, value: resultOf(unit.item) };
      } catch (error) {
        const cancellation = classify(error);
        if (cancellation.kind !== 'cancelled') throw error;
        if (isDuplicateAt(unit, cancellation.failedIndex)) {
          const first = cancellation.oldItem as { id: string; deliverAt: number };
          return { ok: true, value: { id: first.id, deliverAt: first.deliverAt, duplicate: true } };
        }
        if (cancellation.failedIndex >= 0 && cancellation.failedIndex === unit.sizeIndex) {
          if (!(await this.waitForRoom(meta.name, deadline, attempt, signal))) {
            return { ok: false, error: new QueueFullError(meta.name) };
          }
          continue;
        }
        // Otherwise the group changed under us or a transaction conflicted: build again.
        if (++conflicts > 20) throw error;
      }
    }
  }

  /** Waits a little for a bounded queue to have room; false when the deadline has passed. */
  private async waitForRoom(queue: string, deadline: number, attempt: number, signal?: AbortSignal) {
    const left = deadline - performance.now();
    if (left <= 0 || signal?.aborted) return false;
    await this.signals.wait(`room:${queue}`, Math.min(left, backoff(attempt, 50, 500)), signal);
    return true;
  }
}
