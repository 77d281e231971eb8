/**
 * Every key Postbox writes, built here and nowhere else (see docs/data-model.md).
 *
 *   pk = Q#<queue>            sk = #META              queue configuration, publish sequence, incarnation
 *   pk = QUEUES               sk = <queue>            registry copy of the configuration (listing)
 *   pk = Q#<queue>#<inc>      sk = #SIZE              message counter of a bounded queue
 *   pk = Q#<queue>#<inc>      sk = M#<id>             a message
 *
 * `inc` (the queue's incarnation) changes on purge and on re-creation, so a purge is one atomic
 * switch and nothing published to an earlier incarnation can ever resurface.
 *
 *   pk = Q#<queue>#<inc>      sk = G#<group>          a message group: member count, head (or active + cap: group-quota.ts; tat + per: group-rate.ts)
 *   pk = Q#<queue>#<inc>      sk = W#<group>#<seq>    a member waiting behind its group's head
 *   pk = Q#<queue>            sk = D#<gen>#<dedup id> deduplication record of the queue's generation
 *   pk = TOPICS               sk = <topic>            a topic and its subscriptions
 *   pk = Q#<queue>            sk = #RATE              the queue's rate-limit token bucket (flow/rate-bucket.ts)
 *
 * Sharded queues (`shards` N > 1; shard 0 is exactly the layout above, so a queue of one shard
 * is stored as before and a queue that grows keeps its shard 0 where it was):
 *   pk = Q#<queue>#<inc>#<s>  sk = M#<id>, G#…, W#…, #SIZE   shard s > 0: its messages, groups, counter
 *   pk = Q#<queue>#seq#<s>    sk = #SEQ#<gen>             shard s > 0: its publish sequence
 *                                                         (shard 0 keeps `seq` on #META)
 *   pk = Q#<queue>#dedup#<h>  sk = D#<gen>#<dedup id>     deduplication record, h = hash(id) mod 64
 * A group lives in one shard (its G# item is there); receipts of shard s > 0 name it (receipts.ts).
 *   pk = ACTIVE#<h>           sk = <queue>            "this queue may have messages or timed work":
 *                                                     the minute sweep reads these, not the registry;
 *                                                     h = hash(queue) mod 16, so no partition is hot
 *   pk = ACTIVE               sk = #ADOPTED           every queue older than the markers was marked once
 *
 * Availability index (apk = message pk, ask):
 *   R<9-priority><order>                 ready, in delivery order
 *   T<due ms, 15 digits><9-priority><order>  delayed (due = deliverAt) or in flight (due = lease end)
 *   W<deliverAt ms><9-priority><order>   waiting behind its group's head: counted, never received
 * so one ascending query over [R, T<now>~] reads ready messages best first, then timers that are
 * due, and never reads a delayed or leased message that is not due yet.
 *
 * Schedules (functions/core/schedules):
 *   pk = SCHEDULES            sk = <name>             a schedule: definition, nextAt, last firing
 *   apk = SCHEDULE_DUE        ask = S<nextAt ms, 15 digits>#<name>   on an active schedule only
 * so the due schedules are one query over [S, S<now>~] of the availability index.
 */
import type { QueueOrder } from './types';

export const REGISTRY_PK = 'QUEUES';
export const META_SK = '#META';
export const SIZE_SK = '#SIZE';

// 15 digits keep every position below 2^53, so the arithmetic of lifo positions stays exact.
const SEQ_DIGITS = 15;
const TIME_DIGITS = 15;
const MAX_SEQ = 10 ** SEQ_DIGITS - 1;

/** The queue's own partition: #META and deduplication records (not its messages). */
export const queuePartition = (queue: string) => `Q#${queue}`;
export const queueMetaKey = (queue: string) => ({ pk: queuePartition(queue), sk: META_SK });
export const registryKey = (queue: string) => ({ pk: REGISTRY_PK, sk: queue });
export const messagePartition = (queue: string, inc: string) => `Q#${queue}#${inc}`;
/** Shard `shard`'s message partition: shard 0 is the queue's message partition as ever. */
export const shardPartition = (queue: string, inc: string, shard: number) =>
  shard === 0 ? messagePartition(queue, inc) : `Q#${queue}#${inc}#${shard}`;
/** The queue a message partition (`Q#<queue>#<inc>[#<shard>]`) belongs to; undefined for any other key. */
export const queueOfPartition = (partition: string): string | undefined => {
  const parts = partition.split('#');
  const sharded = parts.length === 4 && /^[1-9][0-9]{0,3}$/.test(parts[3] ?? '');
  return (parts.length === 3 || sharded) && parts[0] === 'Q' ? parts[1] : undefined;
};
/** The shard of a message partition: 0 for `Q#<queue>#<inc>`, s for `Q#<queue>#<inc>#<s>`. */
export const shardOfPartition = (partition: string): number => {
  const parts = partition.split('#');
  return parts.length === 4 ? Number(parts[3]) : 0;
};
export const messageKey = (queue: string, inc: string, id: string, shard = 0) => ({
  pk: shardPartition(queue, inc, shard),
  sk: `M#${id}`,
});
/** Publish sequence of shard s > 0 (shard 0's is `seq` on #META), named by the queue's generation. */
export const shardSequenceKey = (queue: string, gen: string | undefined, shard: number) => ({
  pk: `Q#${queue}#seq#${shard}`,
  sk: `#SEQ#${gen ?? ''}`,
});
export const MESSAGE_SK_PREFIX = 'M#';

// Group ids and deduplication ids are free text: encoded so that a prefix of one key can
// never be another key (group "a" must not match the members of group "a#b").
const encode = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

/** A message group's item: member count and current head. */
export const groupKey = (partition: string, groupId: string) => ({
  pk: partition,
  sk: `G#${encode(groupId)}`,
});
/** Members waiting behind a group's head, in publish order. */
export const waitingPrefix = (groupId: string) => `W#${encode(groupId)}#`;
export const waitingKey = (partition: string, groupId: string, seq: number) => ({
  pk: partition,
  sk: `${waitingPrefix(groupId)}${pad(seq, SEQ_DIGITS)}`,
});
/**
 * Deduplication record: under the queue (not the incarnation), so a purge keeps it, and named by
 * the queue's generation (the incarnation it was created with), so a queue deleted and created
 * again never sees, and its clean-up never deletes, the records of the other one. Queues created
 * before generations existed (`gen` undefined) keep the old key `D#<id>`.
 */
export const DEDUP_SK_PREFIX = 'D#';
export const dedupPrefix = (gen: string | undefined) =>
  gen === undefined ? DEDUP_SK_PREFIX : `${DEDUP_SK_PREFIX}${gen}#`;
export const dedupKey = (queue: string, gen: string | undefined, deduplicationId: string) => ({
  pk: queuePartition(queue),
  sk: `${dedupPrefix(gen)}${encode(deduplicationId)}`,
});
/** How many partitions the deduplication records of a sharded queue spread over (fixed: growth moves none). */
export const DEDUP_SPREAD = 64;
export const dedupSpreadPartition = (queue: string, slot: number) => `Q#${queue}#dedup#${slot}`;
/** A sharded queue's deduplication record: in partition hash(id) mod DEDUP_SPREAD. */
export const spreadDedupKey = (queue: string, gen: string | undefined, deduplicationId: string) => ({
  pk: dedupSpreadPartition(queue, hashSlot(deduplicationId, DEDUP_SPREAD)),
  sk: `${dedupPrefix(gen)}${encode(deduplicationId)}`,
});
/** A stable, evenly spread slot of `text` among `count` (FNV-1a, 32 bits): the same in every process. */
export function hashSlot(text: string, count: number): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % count;
}
/** Whether a deduplication record's sort key belongs to generation `gen`. */
export function isDedupOf(sk: string, gen: string | undefined): boolean {
  if (gen !== undefined) return sk.startsWith(dedupPrefix(gen));
  // The old key has no generation: `D#<base64url>`, whose id part never holds a '#'.
  return sk.startsWith(DEDUP_SK_PREFIX) && !sk.slice(DEDUP_SK_PREFIX.length).includes('#');
}
/**
 * Dispatcher items (functions/dispatcher):
 *   pk = C#<queue>:<handler>  sk = #SLOTS          concurrency slots of one consumer
 *   pk = WAKE                 sk = <minute, ISO>   "this minute has a wake-up arranged"
 */
export const consumerSlotsKey = (consumerId: string) => ({ pk: `C#${consumerId}`, sk: '#SLOTS' });
export const wakeKey = (minute: number) => ({ pk: 'WAKE', sk: new Date(minute).toISOString() });
/** The token bucket of a queue's `rateLimit`: under the queue, not an incarnation (a purge keeps the rate). */
export const rateBucketKey = (queue: string) => ({ pk: queuePartition(queue), sk: '#RATE' });
export const TOPICS_PK = 'TOPICS';
export const topicKey = (topic: string) => ({ pk: TOPICS_PK, sk: topic });

const pad = (value: number, digits: number) =>
  Math.max(0, Math.floor(value)).toString().padStart(digits, '0');

/** An order key: one priority digit, then the position. */
export const ORDER_KEY_PATTERN = new RegExp(`^[0-9]{${1 + SEQ_DIGITS}}$`);

/** Position among ready messages of the same queue: priority first, then publish order. */
export function orderKey(order: QueueOrder, priority: number, seq: number): string {
  const position = order === 'fifo' ? seq : MAX_SEQ - seq;
  return `${9 - priority}${pad(position, SEQ_DIGITS)}`;
}

export const readyKey = (orderKeyValue: string) => `R${orderKeyValue}`;
export const timerKey = (dueAt: number, orderKeyValue: string) =>
  `T${pad(dueAt, TIME_DIGITS)}${orderKeyValue}`;

/** Upper bound (inclusive) of the timers due at `now`. */
export const dueTimersUpTo = (now: number) => `T${pad(now, TIME_DIGITS)}~`;
export const READY_FROM = 'R';
export const READY_TO = 'R~';
export const TIMERS_TO = 'T~';
export const waitingSortKey = (deliverAt: number, orderKeyValue: string) =>
  `W${pad(deliverAt, TIME_DIGITS)}${orderKeyValue}`;
export const waitingDueUpTo = (now: number) => `W${pad(now, TIME_DIGITS)}~`;
export const WAITING_FROM = 'W';
export const WAITING_TO = 'W~';

/** The due time (epoch ms) of a timer's availability sort key (`T<due>…`); undefined otherwise. */
export function dueOfTimer(ask: string): number | undefined {
  return ask.startsWith('T') ? Number(ask.slice(1, 1 + TIME_DIGITS)) : undefined;
}

/** The order key inside an availability sort key, for merging ready and due candidates. */
export function orderKeyOf(ask: string): string {
  return ask.startsWith('R') ? ask.slice(1) : ask.slice(1 + TIME_DIGITS);
}

export const SCHEDULES_PK = 'SCHEDULES';
export const scheduleKey = (name: string) => ({ pk: SCHEDULES_PK, sk: name });
/** The availability-index partition of active schedules, by next firing. */
export const SCHEDULE_DUE_PK = 'SCHEDULE_DUE';
export const scheduleDueKey = (nextAt: number, name: string) => `S${pad(nextAt, TIME_DIGITS)}#${name}`;
export const SCHEDULES_DUE_FROM = 'S';
export const schedulesDueUpTo = (now: number) => `S${pad(now, TIME_DIGITS)}~`;
export const SCHEDULES_DUE_TO = 'S~';
/** Active-queue markers (active-queues.ts): what the timed work's sweep visits. */
export const ACTIVE_PK = 'ACTIVE';
export const ADOPTED_SK = '#ADOPTED';
export const adoptedKey = { pk: ACTIVE_PK, sk: ADOPTED_SK };
/**
 * Markers spread over 16 partitions: every process puts a busy queue's marker once a minute, so
 * 10,000 busy queues behind 100 processes would be 16,000 writes/s on one partition key (limit
 * 1,000); spread, the sweep pays 16 small queries a minute instead of one.
 */
export const ACTIVE_SLOTS = 16;
export const activePartition = (slot: number) => `${ACTIVE_PK}#${slot}`;
export const activeKey = (queue: string) => ({
  pk: activePartition(hashSlot(queue, ACTIVE_SLOTS)),
  sk: queue,
});
