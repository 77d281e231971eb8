/**
 * Where a queue's deduplication records are. One shard: under Q#<queue> as ever. Sharded: spread
 * over DEDUP_SPREAD partitions by hash(id), so no single partition takes every deduplicated
 * publish; the spread is fixed, so growing the queue further moves no record. A queue that grew
 * from one shard still checks a record at the old key for one deduplication window.
 */
import { DEDUP_SPREAD, dedupKey, dedupSpreadPartition, queuePartition, spreadDedupKey } from './keys';
import { isSharded } from './shards';

interface DedupConfig {
  name: string;
  gen?: string;
  shards?: number;
  shardedAt?: number;
  deduplicationWindowSeconds: number;
}

export const dedupKeyFor = (meta: DedupConfig, deduplicationId: string) =>
  isSharded(meta)
    ? spreadDedupKey(meta.name, meta.gen, deduplicationId)
    : dedupKey(meta.name, meta.gen, deduplicationId);

/** The key a record had before the queue grew from one shard, while one may still be in its window. */
export function olderDedupKey(meta: DedupConfig, deduplicationId: string, now: number) {
  if (!isSharded(meta) || meta.shardedAt === undefined) return undefined;
  if (now >= meta.shardedAt + meta.deduplicationWindowSeconds * 1000) return undefined;
  return dedupKey(meta.name, meta.gen, deduplicationId);
}

/** Every partition that may hold the queue's deduplication records. */
export const dedupPartitions = (meta: DedupConfig) => [
  queuePartition(meta.name),
  ...(isSharded(meta)
    ? Array.from({ length: DEDUP_SPREAD }, (_, slot) => dedupSpreadPartition(meta.name, slot))
    : []),
];
