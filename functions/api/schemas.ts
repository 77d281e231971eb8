/**
 * Every request and response shape of the HTTP contract (docs/api.md), as zod schemas. The
 * server validates with these and the OpenAPI 3.1 document at `GET /v1/openapi.json` is generated
 * from them, so the two cannot disagree. Objects are `.strict()`: an unknown field is a typo the
 * caller must hear about. Checks that need the clock or the path (deliverAt's 365-day bound, a
 * queue as its own dead-letter queue) are in the routes and publish-input.ts.
 */
import { z } from '@hono/zod-openapi';
import { parseDateTime } from './times';

export const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
// Ids are opaque but URL-safe and at most 64 characters (the contract); anything else cannot name a message.
export const MESSAGE_ID = /^[A-Za-z0-9_-]{1,64}$/;
export const ATTRIBUTE_KEY = /^[A-Za-z0-9_.-]{1,64}$/;

export const MAX_ATTRIBUTES = 10;
export const MAX_BATCH_PUBLISH = 25;
export const MAX_BATCH_ACK = 100;
export const MAX_SUBSCRIPTIONS = 50;

const int = (min: number, max?: number) => (max === undefined ? z.int().min(min) : z.int().min(min).max(max));

// ---------------------------------------------------------------------------------------------
// Building blocks

export const QueueNameSchema = z
  .string()
  .regex(QUEUE_NAME, 'must match ^[A-Za-z0-9_-]{1,80}$')
  .openapi({ example: 'orders' });

export const MessageIdSchema = z
  .string()
  .regex(MESSAGE_ID, 'is not a message id')
  .openapi({ description: 'Opaque, URL-safe, at most 64 characters.' });

export const TimestampSchema = z
  .string()
  .openapi({ format: 'date-time', example: '2026-11-24T19:00:00.000Z', description: 'UTC, milliseconds.' });

const DateTimeInput = z
  .string()
  .refine((text) => parseDateTime(text) !== null, 'must be an ISO-8601 date-time with Z or an offset')
  .openapi({ format: 'date-time', description: 'At most 365 days ahead; a past time means now.' });

export const AttributesSchema = z
  .record(z.string().regex(ATTRIBUTE_KEY, 'key must match ^[A-Za-z0-9_.-]{1,64}$'), z.string())
  .refine((attributes) => Object.keys(attributes).length <= MAX_ATTRIBUTES, {
    message: `must have at most ${MAX_ATTRIBUTES} entries`,
  })
  .openapi({
    maxProperties: MAX_ATTRIBUTES,
    description: `String values; keys match ${ATTRIBUTE_KEY.source}.`,
  });

/** Required, and never null: a null body could not be told apart from a missing one. */
const NonNullJson = z
  .unknown()
  .refine((value) => value !== undefined, 'is required')
  .refine((value) => value !== null, 'must not be null')
  .openapi({ description: 'Any JSON value except null.' });

const Receipt = z.string().openapi({ description: 'The receipt of a manual-ack delivery.' });

// ---------------------------------------------------------------------------------------------
// Path parameters and queries

export const QueueParams = z.object({ queue: QueueNameSchema }).strict();
export const MessageParams = z.object({ queue: QueueNameSchema, id: MessageIdSchema }).strict();
// Topic names follow the queue-name pattern (the contract).
export const TopicParams = z.object({ topic: QueueNameSchema.openapi({ example: 'order-events' }) }).strict();

/** A query integer: digits only, so `1.5`, `+1`, ` 1` and `` are refused rather than coerced. */
const queryInt = (min: number, max: number) =>
  z
    .string()
    .regex(/^[0-9]{1,9}$/, 'must be an integer')
    .transform(Number)
    .pipe(int(min, max))
    .openapi({ type: 'integer', minimum: min, maximum: max });

const Cursor = z.string().min(1).openapi({ description: 'From the previous page; opaque.' });

export const ListQueuesQuery = z
  .object({ limit: queryInt(1, 100).default(100), cursor: Cursor.optional() })
  .strict();

export const ListTopicsQuery = ListQueuesQuery;

export const BrowseStateSchema = z.enum(['ready', 'delayed', 'inFlight', 'all']);

export const BrowseQuery = z
  .object({
    state: BrowseStateSchema.default('all'),
    limit: queryInt(1, 100).default(20),
    cursor: Cursor.optional(),
  })
  .strict();

// ---------------------------------------------------------------------------------------------
// Queues

export const QueueOrderSchema = z.enum(['fifo', 'lifo']);

export const RateLimitSchema = z
  .object({
    perSecond: z
      .number()
      .positive()
      .openapi({ description: 'Messages delivered per second, across every consumer.' }),
    burst: int(1).optional().openapi({
      description: 'Messages that may be delivered at once after a quiet spell. Default: ceil(perSecond).',
    }),
  })
  .strict()
  .openapi('RateLimit', {
    description:
      'A token bucket kept in the store: over the limit a message is not refused but waits, and is delivered when the rate allows (a receive then answers fewer or no messages; nothing is counted as a receive).',
  });

export const GroupLimitsSchema = z
  .object({
    maxInFlight: int(1, 1_000).optional().openapi({
      description:
        "Members of one message group receivable or in flight at once, the group's oldest. Default 1 (strict: one at a time).",
    }),
    perSecond: z.number().positive().optional().openapi({
      description:
        "Starts per second of one message group (its members' first deliveries), burst 1: a member starts at least 1/perSecond s after the one before it. A member that may not start yet is stored delayed until its start (its deliverAt says when). Redeliveries (release, ended lease) are not paced again. Default: none.",
    }),
    key: z.string().regex(ATTRIBUTE_KEY, 'must match ^[A-Za-z0-9_.-]{1,64}$').optional().openapi({
      description:
        'An attribute name: the limits then apply per value of that attribute. A message published without a groupId whose attribute `key` has a value of 1–128 characters is stored with groupId = that value (consumers see it as its groupId; it is ordered, limited, placed, dead-lettered and redriven as that group). A message with its own groupId keeps it; one with neither is not limited. Alone (no maxInFlight, no perSecond): one in flight per value. Applies to messages published after it is set. Default: none (per groupId only).',
    }),
  })
  .strict()
  .openapi('GroupLimits', {
    description:
      "Limits of each message group, kept in the store across every API and dispatcher instance: over the limit a message is not refused but waits (receives skip it at no cost; it is not counted as a receive) and starts when one of its group leaves (ack, cancel, dead letter; maxInFlight) and its group's pace allows (perSecond). A group that exists when the limits are set keeps its form until it empties: maxInFlight and perSecond apply to it from its next start if it began without groupLimits.",
  });

export const PutQueueRequest = z
  .object({
    order: QueueOrderSchema.optional().openapi({
      description:
        'Delivery order of equal priorities; fixed at creation (409 Conflict to change). Default fifo.',
    }),
    visibilityTimeoutSeconds: int(0, 43_200)
      .optional()
      .openapi({ description: 'The lease of a receive that does not ask for its own. Default 30.' }),
    maxReceiveCount: int(1, 1_000).nullable().optional().openapi({
      description:
        'Receives after which a message goes to deadLetterQueue instead of becoming ready again; needs one. null: never. Default null.',
    }),
    deadLetterQueue: QueueNameSchema.nullable()
      .optional()
      .openapi({ description: 'An existing queue other than this one, or null. Default null.' }),
    delaySeconds: int(0, 31_536_000)
      .optional()
      .openapi({ description: 'Delay of messages published without one. Default 0.' }),
    retentionSeconds: int(60, 31_536_000).optional().openapi({
      description: 'A message is dropped this long after it became due. Default 345600 (4 days).',
    }),
    maxMessages: int(0).optional().openapi({
      description: 'Bound on messages not yet gone (429 QueueFull beyond); 0: unbounded. Default 0.',
    }),
    deduplicationWindowSeconds: int(0, 86_400).optional().openapi({
      description: 'How long a deduplicationId is remembered; 0 turns deduplication off. Default 300.',
    }),
    shards: int(1, 1_024).optional().openapi({
      description:
        'Message partitions the queue spreads over, about 175 messages/s each; may only grow (a decrease is 400). Order, priority and lifo hold per shard; a message group lives in one shard and keeps strict order. Default 1.',
    }),
    throughput: z.literal('high').optional().openapi({
      description:
        "'high': pick shards for targetMessagesPerSecond (ceil(target / 175), at most 1024, never fewer than the queue has). Not stored: the queue shows the shards picked. Not together with shards.",
    }),
    targetMessagesPerSecond: int(1, 179_200).optional().openapi({
      description:
        "The rate throughput 'high' picks shards for (messages per second); needs throughput 'high'.",
    }),
    rateLimit: RateLimitSchema.nullable()
      .optional()
      .openapi({ description: 'Deliveries per second of the queue, or null: none. Default null.' }),
    groupLimits: GroupLimitsSchema.nullable().optional().openapi({
      description: 'Per message group: how many are in flight at once, or null: one. Default null.',
    }),
  })
  .strict()
  .openapi('PutQueueRequest', {
    description:
      'A partial merge: every field is optional, a field left out keeps its current value (on creation, its default), and null clears maxReceiveCount or deadLetterQueue. {} changes nothing. The result must be valid as a whole.',
  });

export const QueueSchema = z
  .object({
    name: z.string(),
    order: QueueOrderSchema,
    visibilityTimeoutSeconds: z.int(),
    maxReceiveCount: z.int().nullable(),
    deadLetterQueue: z.string().nullable(),
    delaySeconds: z.int(),
    retentionSeconds: z.int(),
    maxMessages: z.int(),
    deduplicationWindowSeconds: z.int(),
    shards: z.int().openapi({ description: 'Message partitions the queue spreads over (1–1024).' }),
    rateLimit: RateLimitSchema.nullable(),
    groupLimits: GroupLimitsSchema.nullable(),
    paused: z.boolean().openapi({
      description:
        'Read only; changed by POST /pause and /resume. Paused: receives answer nothing, consumers are not invoked, publishes are accepted.',
    }),
    createdAt: TimestampSchema,
  })
  .strict()
  .openapi('Queue');

export const QueueCountsSchema = z
  .object({
    ready: z.int(),
    delayed: z.int(),
    inFlight: z.int(),
    total: z.int(),
    approximate: z.literal(true).optional(),
  })
  .strict()
  .openapi('QueueCounts');

export const QueueWithCountsSchema = QueueSchema.extend({ counts: QueueCountsSchema }).openapi(
  'QueueWithCounts',
);

export const QueueListSchema = z
  .object({ queues: z.array(QueueSchema), cursor: z.string().nullable() })
  .strict()
  .openapi('QueueList');

// ---------------------------------------------------------------------------------------------
// Publishing

export const PublishRequest = z
  .object({
    body: NonNullJson,
    delaySeconds: int(0, 31_536_000).optional(),
    deliverAt: DateTimeInput.optional(),
    priority: int(0, 9).optional(),
    groupId: z.string().min(1).max(128).optional(),
    deduplicationId: z.string().min(1).max(128).optional(),
    attributes: AttributesSchema.optional(),
    waitSeconds: int(0, 20).optional(),
  })
  .strict()
  .openapi('PublishRequest');

/** A topic publish takes the queue publish's fields but `waitSeconds`: the fan-out never waits. */
export const TopicPublishRequest = PublishRequest.omit({ waitSeconds: true }).openapi('TopicPublishRequest');

/** The batch as a whole; each entry is then checked against PublishRequest on its own. */
export const PublishBatchEnvelope = z
  .object({ messages: z.array(z.unknown()).min(1).max(MAX_BATCH_PUBLISH) })
  .strict();

export const PublishBatchRequest = z
  .object({ messages: z.array(PublishRequest).min(1).max(MAX_BATCH_PUBLISH) })
  .strict()
  .openapi('PublishBatchRequest');

export const PublishResponse = z
  .object({ id: z.string(), deliverAt: TimestampSchema, duplicate: z.boolean() })
  .strict()
  .openapi('PublishResponse');

export const ErrorObjectSchema = z.object({ code: z.string(), message: z.string() }).strict();

export const ErrorResponse = z.object({ error: ErrorObjectSchema }).strict().openapi('Error');

export const PublishBatchResponse = z
  .object({ results: z.array(z.union([PublishResponse, ErrorResponse])) })
  .strict()
  .openapi('PublishBatchResponse');

// ---------------------------------------------------------------------------------------------
// Consuming

export const ReceiveRequest = z
  .object({
    maxMessages: int(1, 10).optional(),
    waitSeconds: int(0, 20).optional(),
    visibilityTimeoutSeconds: int(0, 43_200).optional(),
    ack: z.enum(['manual', 'auto']).optional(),
  })
  .strict()
  .openapi('ReceiveRequest');

export const AckRequest = z.object({ receipt: Receipt }).strict().openapi('AckRequest');

export const AckBatchRequest = z
  .object({ receipts: z.array(Receipt).min(1).max(MAX_BATCH_ACK) })
  .strict()
  .openapi('AckBatchRequest');

export const AckBatchResponse = z
  .object({
    results: z.array(
      z.union([
        z.object({ receipt: z.string(), ok: z.literal(true) }).strict(),
        z.object({ receipt: z.string(), error: ErrorObjectSchema }).strict(),
      ]),
    ),
  })
  .strict()
  .openapi('AckBatchResponse');

export const ReleaseRequest = z
  .object({ receipt: Receipt, delaySeconds: int(0, 43_200).optional() })
  .strict()
  .openapi('ReleaseRequest');

export const ExtendRequest = z
  .object({ receipt: Receipt, visibilityTimeoutSeconds: int(0, 43_200) })
  .strict()
  .openapi('ExtendRequest');

export const ExtendResponse = z
  .object({ leaseExpiresAt: TimestampSchema })
  .strict()
  .openapi('ExtendResponse');

// ---------------------------------------------------------------------------------------------
// Messages as answers

export const DeadLetterSchema = z
  .object({ sourceQueue: z.string(), receiveCount: z.int(), reason: z.literal('maxReceiveCount') })
  .strict()
  .openapi('DeadLetter');

const messageFields = {
  id: z.string(),
  body: NonNullJson,
  receiveCount: z.int(),
  publishedAt: TimestampSchema,
  deliverAt: TimestampSchema,
  priority: z.int(),
  groupId: z.string().nullable().openapi({
    description:
      "The message's group: the groupId it was published with, or in a queue with groupLimits.key the value of that attribute; null: none.",
  }),
  deadLetter: DeadLetterSchema.nullable(),
  attributes: z.record(z.string(), z.string()),
};

export const DeliveredMessageSchema = z
  .object({
    ...messageFields,
    receipt: z.string().optional().openapi({ description: 'Only with manual ack.' }),
  })
  .strict()
  .openapi('DeliveredMessage');

export const MessageViewSchema = z
  .object({
    ...messageFields,
    state: z.enum(['ready', 'delayed', 'inFlight']),
    leaseExpiresAt: TimestampSchema.nullable(),
  })
  .strict()
  .openapi('MessageView');

export const ReceiveResponse = z
  .object({ messages: z.array(DeliveredMessageSchema) })
  .strict()
  .openapi('ReceiveResponse');

export const BrowseResponse = z
  .object({ messages: z.array(MessageViewSchema), cursor: z.string().nullable() })
  .strict()
  .openapi('BrowseResponse');

// ---------------------------------------------------------------------------------------------
// Reschedule and redrive

/** At least one field; not both of deliverAt and delaySeconds (checked in the route). */
export const RescheduleRequest = z
  .object({
    deliverAt: DateTimeInput.optional(),
    delaySeconds: int(0, 31_536_000).optional(),
    priority: int(0, 9).optional(),
  })
  .strict()
  .openapi('RescheduleRequest', {
    description: 'Any of deliverAt or delaySeconds (not both) and priority; at least one.',
  });

export const RedriveRequest = z
  .object({
    to: QueueNameSchema.optional().openapi({
      description: "The target queue; by default each message's source queue.",
    }),
    maxMessages: int(1).optional().openapi({ description: 'At most this many; by default all.' }),
  })
  .strict()
  .openapi('RedriveRequest');

export const RedriveResponse = z.object({ moved: z.int() }).strict().openapi('RedriveResponse');

// ---------------------------------------------------------------------------------------------
// Topics

/** A message matches when, for every key, its attribute has one of the listed values. */
export const FilterSchema = z
  .record(z.string().regex(ATTRIBUTE_KEY, 'key must match ^[A-Za-z0-9_.-]{1,64}$'), z.array(z.string()))
  .openapi({
    description: `Attribute key (${ATTRIBUTE_KEY.source}) → allowed values. Every key must match; an empty list matches nothing.`,
  });

export const SubscriptionSchema = z
  .object({ queue: QueueNameSchema, filter: FilterSchema.optional() })
  .strict()
  .openapi('Subscription');

export const PutTopicRequest = z
  .object({ subscriptions: z.array(SubscriptionSchema).max(MAX_SUBSCRIPTIONS) })
  .strict()
  .openapi('PutTopicRequest');

export const TopicSchema = z
  .object({
    name: z.string(),
    subscriptions: z.array(SubscriptionSchema),
    createdAt: TimestampSchema,
  })
  .strict()
  .openapi('Topic');

export const TopicListSchema = z
  .object({ topics: z.array(TopicSchema), cursor: z.string().nullable() })
  .strict()
  .openapi('TopicList');

export const TopicDeliverySchema = z
  .object({
    queue: z.string(),
    id: z.string(),
    duplicate: z
      .literal(true)
      .optional()
      .openapi({ description: 'The queue already had this deduplicationId; id is the first copy.' }),
  })
  .strict()
  .openapi('TopicDelivery');

export const TopicPublishResponse = z
  .object({ id: z.string(), deliveries: z.array(TopicDeliverySchema) })
  .strict()
  .openapi('TopicPublishResponse');

// ---------------------------------------------------------------------------------------------
// Service

export const HealthResponse = z
  .object({ status: z.literal('ok') })
  .strict()
  .openapi('Health');

export const EmptyRequest = z.object({}).strict();
