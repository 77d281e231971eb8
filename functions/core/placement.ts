/**
 * Where new messages of a queue go and the sequence numbers they take there: the one step every
 * write of a new message starts with (publish, topic fan-out, dead-letter moves, redrive).
 *
 * A queue this process knows as unsharded (or does not know yet) reserves on #META as it always
 * did, which answers the fresh configuration: a queue of one shard costs no request more. A
 * sharded queue's configuration comes from the per-process cache; its messages go to a random
 * shard, or to their group's shard (shard-lookup.ts), and reserve there (sequence.ts).
 */
import type { QueueMeta, QueueMetaCache } from './queue-meta';
import { reserveInShard, reserveSequence } from './sequence';
import { type GroupHome, groupHome } from './shard-lookup';
import { isSharded, randomShard } from './shards';
import type { Store } from './store';

export interface Placement extends GroupHome {
  meta: QueueMeta;
  /** The group placed for (none: a random shard). */
  groupId?: string;
  /** The last of the numbers reserved in `shard`. */
  seq: number;
}

/**
 * The configuration to place messages with: `unsharded` when the queue is not sharded (its
 * numbers are then already reserved in shard 0: `seq` is the last of `count`).
 */
export async function configForPlacing(
  store: Store,
  metas: QueueMetaCache,
  queue: string,
  count: number,
): Promise<{ meta: QueueMeta; unsharded: boolean }> {
  const known = metas.peek(queue);
  if (!known || !isSharded(known)) {
    const fresh = await reserveSequence(store, metas, queue, count);
    // Grown since this process last looked: placed as sharded (the numbers taken stay unused;
    // a gap in a sequence is harmless, only the order of the numbers matters).
    return { meta: fresh, unsharded: !isSharded(fresh) };
  }
  return { meta: await metas.get(queue), unsharded: false };
}

/** The shard for messages of `groupId` (or none: a random shard) of a sharded queue. */
export async function homeFor(
  store: Store,
  meta: QueueMeta,
  groupId: string | undefined,
): Promise<GroupHome> {
  if (groupId === undefined || meta.order !== 'fifo') return { shard: randomShard(meta), elsewhere: [] };
  return groupHome(store, meta, groupId);
}

/**
 * Places `count` messages of one group (or none) in `queue`: its shard and numbers. `group` is
 * the group, or how to read it from the queue's configuration (a new message's limit group,
 * limit-group.ts, depends on the queue it goes to).
 */
export async function place(
  store: Store,
  metas: QueueMetaCache,
  queue: string,
  group: string | undefined | ((meta: QueueMeta) => string | undefined),
  count: number,
): Promise<Placement> {
  const config = await configForPlacing(store, metas, queue, count);
  const groupId = typeof group === 'function' ? group(config.meta) : group;
  const placed = groupId === undefined ? {} : { groupId };
  if (config.unsharded)
    return { meta: config.meta, shard: 0, seq: config.meta.seq, elsewhere: [], ...placed };
  const home = await homeFor(store, config.meta, groupId);
  const reserved = await reserveInShard(store, metas, config.meta, home.shard, count);
  return { ...home, meta: reserved.meta, seq: reserved.seq, ...placed };
}
