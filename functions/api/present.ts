/**
 * Engine values → the contract's JSON answers: ISO-8601 UTC timestamps with milliseconds, every
 * field present (`null` where it does not apply), fields in the contract's order.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type {
  DeliveredMessage,
  MessageView,
  PublishResult,
  Queue,
  QueueCounts,
  Subscription,
  Topic,
  TopicPublishResult,
} from '../core/types';
import { isoTime } from './times';

/** A JSON answer with the contract's media type. */
export const json = (
  c: Context,
  status: ContentfulStatusCode,
  data: unknown,
  headers?: Record<string, string>,
) => c.body(JSON.stringify(data), status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });

export const noContent = (c: Context) => c.body(null, 204);

export const presentQueue = (queue: Queue) => ({
  name: queue.name,
  order: queue.order,
  visibilityTimeoutSeconds: queue.visibilityTimeoutSeconds,
  maxReceiveCount: queue.maxReceiveCount ?? null,
  deadLetterQueue: queue.deadLetterQueue ?? null,
  delaySeconds: queue.delaySeconds,
  retentionSeconds: queue.retentionSeconds,
  maxMessages: queue.maxMessages,
  deduplicationWindowSeconds: queue.deduplicationWindowSeconds,
  shards: queue.shards ?? 1,
  // Registry copies written before these fields existed lack them.
  rateLimit: queue.rateLimit
    ? {
        perSecond: queue.rateLimit.perSecond,
        ...(queue.rateLimit.burst !== undefined ? { burst: queue.rateLimit.burst } : {}),
      }
    : null,
  groupLimits: queue.groupLimits
    ? {
        ...(queue.groupLimits.maxInFlight !== undefined
          ? { maxInFlight: queue.groupLimits.maxInFlight }
          : {}),
        ...(queue.groupLimits.perSecond !== undefined ? { perSecond: queue.groupLimits.perSecond } : {}),
        ...(queue.groupLimits.key !== undefined ? { key: queue.groupLimits.key } : {}),
      }
    : null,
  paused: queue.paused === true,
  createdAt: isoTime(queue.createdAt),
});

export const presentCounts = (counts: QueueCounts) => ({
  ready: counts.ready,
  delayed: counts.delayed,
  inFlight: counts.inFlight,
  total: counts.total,
  // Said only when true: exact counts are the norm.
  ...(counts.approximate ? { approximate: true as const } : {}),
});

export const presentPublish = (result: PublishResult) => ({
  id: result.id,
  deliverAt: isoTime(result.deliverAt),
  duplicate: result.duplicate,
});

const messageFields = (message: DeliveredMessage | MessageView) => ({
  id: message.id,
  body: message.body,
  receiveCount: message.receiveCount,
  publishedAt: isoTime(message.publishedAt),
  deliverAt: isoTime(message.deliverAt),
  priority: message.priority,
  groupId: message.groupId ?? null,
  deadLetter: message.deadLetter
    ? {
        sourceQueue: message.deadLetter.sourceQueue,
        receiveCount: message.deadLetter.receiveCount,
        reason: message.deadLetter.reason,
      }
    : null,
  attributes: message.attributes ?? {},
});

/** A delivery; the receipt only with manual ack (an auto-acked message has nothing to ack). */
export function presentDelivery(message: DeliveredMessage, withReceipt: boolean) {
  const { id, body, ...rest } = messageFields(message);
  return withReceipt && message.receipt !== undefined
    ? { id, body, receipt: message.receipt, ...rest }
    : { id, body, ...rest };
}

export const presentView = (message: MessageView) => ({
  ...messageFields(message),
  state: message.state,
  leaseExpiresAt:
    message.state === 'inFlight' && message.leaseExpiresAt != null ? isoTime(message.leaseExpiresAt) : null,
});

/** A subscription as it was defined: `filter` only when it has one. */
const presentSubscription = (subscription: Subscription) =>
  subscription.filter === undefined
    ? { queue: subscription.queue }
    : { queue: subscription.queue, filter: subscription.filter };

export const presentTopic = (topic: Topic) => ({
  name: topic.name,
  subscriptions: topic.subscriptions.map(presentSubscription),
  createdAt: isoTime(topic.createdAt),
});

/** `duplicate: true` only for the queues that already had the deduplicationId. */
export const presentTopicPublish = (result: TopicPublishResult) => ({
  id: result.id,
  deliveries: result.deliveries.map((delivery) =>
    delivery.duplicate
      ? { queue: delivery.queue, id: delivery.id, duplicate: true as const }
      : { queue: delivery.queue, id: delivery.id },
  ),
});
