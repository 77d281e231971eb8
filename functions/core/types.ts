/**
 * The engine's vocabulary, named after the HTTP contract (docs/api.md).
 * Times are epoch milliseconds inside the engine; the API layer formats them as ISO strings.
 */

export type QueueOrder = 'fifo' | 'lifo';

/** A message is in exactly one of these states while it exists. */
export type MessageState = 'ready' | 'delayed' | 'inFlight';

export type BrowseState = MessageState | 'all';

export type AckMode = 'manual' | 'auto';

export interface QueueConfig {
  order: QueueOrder;
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number | null;
  deadLetterQueue: string | null;
  delaySeconds: number;
  retentionSeconds: number;
  maxMessages: number;
  deduplicationWindowSeconds: number;
  /**
   * Message partitions the queue spreads over (1–1,024; may only grow). Order, priority and LIFO
   * hold per shard; a message group lives in one shard and keeps strict order. See shards.ts.
   */
  shards: number;
  /** Deliveries per second across every process (a token bucket in the store); null: none. */
  rateLimit: RateLimit | null;
  /** Per message group (or limit key value): members in flight at once (default 1: strict order), starts per second. */
  groupLimits: GroupLimits | null;
}

/** Limits of each message group; absent `maxInFlight` is 1 (group-quota.ts), absent `perSecond` none. */
export interface GroupLimits {
  maxInFlight?: number;
  /** Starts per second of one group, burst 1 (group-rate.ts). */
  perSecond?: number;
  /**
   * An attribute whose value is the group of a message published without a groupId
   * (limit-group.ts): the limits then apply per value of that attribute.
   */
  key?: string;
}

/** `burst`: tokens that may be taken at once after a quiet spell; default one second's worth. */
export interface RateLimit {
  perSecond: number;
  burst?: number;
}

/**
 * What a create or update may send: configuration fields, or `throughput: 'high'` with a target
 * rate, which picks `shards` for it (never fewer than the queue has).
 */
export interface QueueFields extends Partial<QueueConfig> {
  throughput?: 'high';
  targetMessagesPerSecond?: number;
}

export interface Queue extends QueueConfig {
  name: string;
  createdAt: number;
  /** Read only: changed by pause and resume (functions/core/flow/pause.ts). */
  paused: boolean;
}

export interface QueueCounts {
  ready: number;
  delayed: number;
  inFlight: number;
  total: number;
  approximate?: boolean;
}

export interface DeadLetterInfo {
  sourceQueue: string;
  receiveCount: number;
  reason: 'maxReceiveCount';
}

/** What a producer hands the engine; validated and bounded by the API layer. */
export interface PublishInput {
  /** Any JSON value except null. */
  body: unknown;
  delaySeconds?: number;
  /** Epoch ms; a past time means now. */
  deliverAt?: number;
  priority?: number;
  groupId?: string;
  deduplicationId?: string;
  attributes?: Record<string, string>;
}

export interface PublishResult {
  id: string;
  deliverAt: number;
  duplicate: boolean;
}

/** A message as browse and get-by-id show it. */
export interface MessageView {
  id: string;
  body: unknown;
  receiveCount: number;
  publishedAt: number;
  deliverAt: number;
  priority: number;
  groupId: string | null;
  deadLetter: DeadLetterInfo | null;
  attributes: Record<string, string>;
  state: MessageState;
  leaseExpiresAt: number | null;
}

/** A message as a receive delivers it; `receipt` only with manual ack. */
export interface DeliveredMessage {
  id: string;
  body: unknown;
  receipt?: string;
  receiveCount: number;
  publishedAt: number;
  deliverAt: number;
  priority: number;
  groupId: string | null;
  deadLetter: DeadLetterInfo | null;
  attributes: Record<string, string>;
}

export interface ReceiveOptions {
  maxMessages?: number;
  waitSeconds?: number;
  visibilityTimeoutSeconds?: number;
  ack?: AckMode;
  /** Aborts a long poll early (client went away, server shutting down). */
  signal?: AbortSignal;
}

export interface Page<T> {
  items: T[];
  cursor: string | null;
}

/** One entry of a batch answer: the result, or that entry's own error. */
export type BatchEntry<T> = { ok: true; value: T } | { ok: false; error: Error };

/** A topic's subscription: the queue gets a copy when every filter key matches (see docs/api.md). */
export interface Subscription {
  queue: string;
  filter?: Record<string, string[]>;
}

export interface Topic {
  name: string;
  subscriptions: Subscription[];
  createdAt: number;
}

export interface TopicDelivery {
  queue: string;
  id: string;
  /** Present (true) when the queue already had this deduplicationId. */
  duplicate?: true;
}

export interface TopicPublishResult {
  id: string;
  deliveries: TopicDelivery[];
}

export interface RescheduleInput {
  /** Epoch ms; a past time means now. */
  deliverAt?: number;
  priority?: number;
}
