/**
 * The queue's configuration item (pk = Q#<queue>, sk = #META) and a short-lived in-process cache
 * of it. Receives, acks and browsing need the configuration and the current incarnation; reading
 * them from the store on every call would add a request to each. Like SQS queue attributes,
 * changes made through another process are seen within `ttlMs`; changes made through this
 * process are seen at once (it invalidates its own cache). Publishes never use the cache: their
 * sequence update returns the fresh item.
 */
import { GetItemCommand, type GetItemCommandOutput } from '@aws-sdk/client-dynamodb';
import { QueueNotFoundError, ValidationError } from './errors';
import { queueMetaKey } from './keys';
import { fromAttributes, type Item, type Store, toAttributes } from './store';
import type { Queue, QueueConfig } from './types';

export interface QueueMeta extends Queue {
  /** Current incarnation: names the partition that holds the queue's messages. */
  inc: string;
  /** Last publish sequence number handed out. */
  seq: number;
  /**
   * Generation: the incarnation the queue was created with. It stays through purges and names
   * the queue's deduplication records (keys.ts), so a delete's clean-up can never remove the
   * records of a queue of the same name created meanwhile. Undefined for queues created before.
   */
  gen?: string;
  /** Version of the references to this queue (queue-references.ts); absent until the first. */
  refs?: number;
  /**
   * Every shard count the queue has had, ascending, the current one last (absent: only `shards`).
   * A message group stays in the shard it started in; its G# item is looked for under each.
   */
  shardSteps?: number[];
  /** When the queue grew from one shard (engine clock): its older dedup records are still read. */
  shardedAt?: number;
}

export const DEFAULT_CONFIG: QueueConfig = {
  order: 'fifo',
  visibilityTimeoutSeconds: 30,
  maxReceiveCount: null,
  deadLetterQueue: null,
  delaySeconds: 0,
  retentionSeconds: 345_600,
  maxMessages: 0,
  deduplicationWindowSeconds: 300,
  shards: 1,
  rateLimit: null,
  groupLimits: null,
};

export const CONFIG_FIELDS = Object.keys(DEFAULT_CONFIG) as (keyof QueueConfig)[];

/** Fields absent from items written before they existed read as their defaults. */
export function configOf(meta: QueueConfig): QueueConfig {
  return Object.fromEntries(
    CONFIG_FIELDS.map((field) => [field, meta[field] === undefined ? DEFAULT_CONFIG[field] : meta[field]]),
  ) as unknown as QueueConfig;
}

export function queueOf(meta: QueueMeta): Queue {
  return { name: meta.name, ...configOf(meta), createdAt: meta.createdAt, paused: meta.paused === true };
}

/** Equality of configuration values (numbers, strings, null, and small objects such as rateLimit). */
export function sameConfigValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
  return [...keys].every((key) => sameConfigValue(left[key], right[key]));
}

/** Rules about the configuration as a whole (field ranges are the API schemas' job). */
export function validateConfig(name: string, config: QueueConfig): void {
  if (config.deadLetterQueue === name) {
    throw new ValidationError('deadLetterQueue: a queue cannot be its own dead-letter queue.');
  }
  if (config.maxReceiveCount !== null && config.deadLetterQueue === null) {
    throw new ValidationError('maxReceiveCount: requires deadLetterQueue.');
  }
  if (config.maxMessages > 0 && config.maxMessages < config.shards) {
    throw new ValidationError(
      `maxMessages: a bounded queue of ${config.shards} shards needs at least ${config.shards} (each shard holds its share).`,
    );
  }
  validateGroupLimits(config);
}

/** The rule for attribute keys (docs/api.md), which groupLimits.key names. */
const LIMIT_KEY = /^[A-Za-z0-9_.-]{1,64}$/;

function validateGroupLimits({ groupLimits, order }: QueueConfig): void {
  if (groupLimits === null || groupLimits === undefined) return;
  const { maxInFlight, perSecond, key } = groupLimits;
  if (
    perSecond !== undefined &&
    !(typeof perSecond === 'number' && Number.isFinite(perSecond) && perSecond > 0)
  ) {
    throw new ValidationError('groupLimits.perSecond: a number greater than 0.');
  }
  if (maxInFlight !== undefined && !(Number.isInteger(maxInFlight) && maxInFlight >= 1)) {
    throw new ValidationError('groupLimits.maxInFlight: an integer of at least 1.');
  }
  // An attribute key (docs/api.md); alone it means one in flight per value, as a strict group.
  if (key !== undefined && !(typeof key === 'string' && LIMIT_KEY.test(key))) {
    throw new ValidationError('groupLimits.key: an attribute name matching ^[A-Za-z0-9_.-]{1,64}$.');
  }
  if (order === 'lifo') throw new ValidationError('groupLimits: a lifo queue has no message groups.');
}

/** The stored item as the engine sees it; queues stored before `shards` existed have one. */
export const metaFromItem = (item: Item) => ({ shards: 1, ...item }) as unknown as QueueMeta;

export class QueueMetaCache {
  private readonly entries = new Map<string, { meta: QueueMeta; at: number }>();

  constructor(
    private readonly store: Store,
    private readonly ttlMs = 1_000,
  ) {}

  /** The queue's configuration, at most `ttlMs` old; QueueNotFoundError when it does not exist. */
  async get(queue: string): Promise<QueueMeta> {
    const cached = this.entries.get(queue);
    if (cached && performance.now() - cached.at < this.ttlMs) return cached.meta;
    return this.read(queue);
  }

  /** What this process last read of the queue, however old (no request); undefined if nothing. */
  peek(queue: string): QueueMeta | undefined {
    return this.entries.get(queue)?.meta;
  }

  /** Always from the store (strongly consistent). */
  async read(queue: string): Promise<QueueMeta> {
    const { Item: raw } = await this.store.send<GetItemCommandOutput>(
      new GetItemCommand({
        TableName: this.store.tableName,
        Key: toAttributes(queueMetaKey(queue)),
        ConsistentRead: true,
      }),
    );
    const item = fromAttributes(raw);
    if (!item) {
      this.entries.delete(queue);
      throw new QueueNotFoundError(queue);
    }
    const meta = metaFromItem(item);
    this.remember(meta);
    return meta;
  }

  remember(meta: QueueMeta): void {
    this.entries.set(meta.name, { meta, at: performance.now() });
  }

  forget(queue: string): void {
    this.entries.delete(queue);
  }
}
