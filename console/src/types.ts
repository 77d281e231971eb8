/** The shapes of docs/api.md that the console reads and sends. */

export type QueueOrder = 'fifo' | 'lifo';

export interface QueueConfig {
  order: QueueOrder;
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number | null;
  deadLetterQueue: string | null;
  delaySeconds: number;
  retentionSeconds: number;
  maxMessages: number;
  deduplicationWindowSeconds: number;
}

export interface Queue extends QueueConfig {
  name: string;
  createdAt: string;
}

export interface Counts {
  ready: number;
  delayed: number;
  inFlight: number;
  total: number;
  approximate?: boolean;
}

export interface QueueWithCounts extends Queue {
  counts: Counts;
}

export type MessageState = 'ready' | 'delayed' | 'inFlight';

export interface DeadLetter {
  sourceQueue: string;
  receiveCount: number;
  reason: string;
}

/** A message view (browse, get, reschedule). */
export interface Message {
  id: string;
  body: unknown;
  state: MessageState;
  receiveCount: number;
  publishedAt: string;
  deliverAt: string;
  priority: number;
  groupId: string | null;
  deadLetter: DeadLetter | null;
  attributes: Record<string, string>;
  leaseExpiresAt: string | null;
}

export interface BrowsePage {
  messages: Message[];
  cursor: string | null;
}

export interface PublishInput {
  body: unknown;
  delaySeconds?: number;
  deliverAt?: string;
  priority?: number;
  groupId?: string;
  deduplicationId?: string;
  attributes?: Record<string, string>;
}

export interface TopicSubscription {
  queue: string;
  filter?: Record<string, string[]>;
}

export interface Topic {
  name: string;
  subscriptions: TopicSubscription[];
  createdAt: string;
}

export interface TopicPublishAnswer {
  id: string;
  deliveries: { queue: string; id: string; duplicate?: boolean }[];
}
