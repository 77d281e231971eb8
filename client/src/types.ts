/**
 * The client's request and answer types, derived from the server's own zod schemas
 * (functions/api/schemas.ts), so the client cannot drift from what the server validates and
 * answers. Only type information is imported: nothing of the server is loaded at run time.
 *
 * Requests use `z.input` (what a caller may send), answers `z.output` (what the server sends).
 * Two conveniences are layered on top: `deliverAt` may be a `Date`, and message bodies are generic.
 */
import type { z } from 'zod';
import type {
  ConsumerStatusSchema,
  RatesResponse,
  RedriveMessageRequest,
  RedriveMessageResponse,
} from '../../functions/api/operations-schemas';
import type {
  PutScheduleRequest,
  ScheduleListSchema,
  ScheduleSchema,
} from '../../functions/api/schedule-schemas';
import type {
  AckBatchResponse,
  BrowseQuery,
  DeadLetterSchema,
  DeliveredMessageSchema,
  ErrorObjectSchema,
  ExtendResponse,
  HealthResponse,
  MessageViewSchema,
  PublishRequest,
  PublishResponse,
  PutQueueRequest,
  PutTopicRequest,
  QueueCountsSchema,
  QueueSchema,
  QueueWithCountsSchema,
  ReceiveRequest,
  RedriveRequest,
  RedriveResponse,
  RescheduleRequest,
  SubscriptionSchema,
  TopicDeliverySchema,
  TopicPublishRequest,
  TopicPublishResponse,
  TopicSchema,
} from '../../functions/api/schemas';

/** A timestamp the client sends: an ISO-8601 string with `Z` or an offset, or a `Date`. */
type WithDate<T> = T extends { deliverAt?: unknown }
  ? Omit<T, 'deliverAt'> & { deliverAt?: string | Date }
  : T;

// ---------------------------------------------------------------------------------------------
// Queues

/** Fields of `PUT /v1/queues/{queue}`; every one optional (docs/api.md, "Queues"). */
export type QueueOptions = z.input<typeof PutQueueRequest>;
/** A queue's configuration as the server answers it. */
export type Queue = z.output<typeof QueueSchema>;
/** Message counts of a queue at the time of the request. */
export type QueueCounts = z.output<typeof QueueCountsSchema>;
/** A queue with its counts (`GET /v1/queues/{queue}`). */
export type QueueWithCounts = z.output<typeof QueueWithCountsSchema>;
/** `"fifo"` or `"lifo"`. */
export type QueueOrder = Queue['order'];

/** A page of a list: the items and the cursor of the next page (`null` when nothing follows). */
export interface Page<T> {
  items: T[];
  cursor: string | null;
}

/** `limit` and `cursor` of a list call. */
export interface PageOptions {
  /** 1–100. @default 100 for queues and topics, 20 for browse */
  limit?: number;
  /** The `cursor` of the previous page. */
  cursor?: string;
}

// ---------------------------------------------------------------------------------------------
// Publishing

/** One message to publish: `body` plus the optional fields of `POST /messages`. */
export type PublishInput = WithDate<z.input<typeof PublishRequest>>;
/** The options of a publish, without the body. */
export type PublishOptions = Omit<PublishInput, 'body'>;
/** `{ id, deliverAt, duplicate }`. */
export type PublishResult = z.output<typeof PublishResponse>;
/** An entry's own error inside a batch answer: `{ code, message }`. */
export type ErrorObject = z.output<typeof ErrorObjectSchema>;
/** One entry of a batch publish answer, in input order. */
export type PublishBatchEntry = PublishResult | { error: ErrorObject };

// ---------------------------------------------------------------------------------------------
// Consuming

/** The options of `POST /receive`. */
export type ReceiveOptions = z.input<typeof ReceiveRequest>;
/** `{ sourceQueue, receiveCount, reason }` of a dead-lettered message. */
export type DeadLetter = z.output<typeof DeadLetterSchema>;
/** A message as a receive delivers it; `receipt` is there with manual ack. */
export type DeliveredMessage<Body = unknown> = Omit<z.output<typeof DeliveredMessageSchema>, 'body'> & {
  body: Body;
};
/** One entry of a batch ack answer. */
export type AckBatchEntry = z.output<typeof AckBatchResponse>['results'][number];
/** `{ leaseExpiresAt }` of an extend. */
export type ExtendResult = z.output<typeof ExtendResponse>;

// ---------------------------------------------------------------------------------------------
// Looking at messages

/** `ready`, `delayed`, `inFlight` or `all`. */
export type BrowseState = NonNullable<z.input<typeof BrowseQuery>['state']>;
/** A message as browse and get show it (no receipt; `state`, `leaseExpiresAt`). */
export type MessageView<Body = unknown> = Omit<z.output<typeof MessageViewSchema>, 'body'> & { body: Body };
/** `ready`, `delayed` or `inFlight`. */
export type MessageState = MessageView['state'];
/** Options of browse: the state to list, and the page. */
export type BrowseOptions = PageOptions & { state?: BrowseState };
/** Fields of `PATCH /messages/{id}`: `deliverAt` or `delaySeconds`, and/or `priority`. */
export type RescheduleInput = WithDate<z.input<typeof RescheduleRequest>>;
/** Options of redrive: `to` and `maxMessages`. */
export type RedriveOptions = z.input<typeof RedriveRequest>;
/** `{ moved }`. */
export type RedriveResult = z.output<typeof RedriveResponse>;
/** Options of the redrive of one message: `to`. */
export type RedriveMessageOptions = z.input<typeof RedriveMessageRequest>;
/** `{ queue, id }`: where the message is now. */
export type RedriveMessageResult = z.output<typeof RedriveMessageResponse>;

// ---------------------------------------------------------------------------------------------
// Operating

/** A queue's published/delivered/acked rates through the answering server process. */
export type QueueRates = z.output<typeof RatesResponse>;
/** One consumer of the local runtime and its state. */
export type ConsumerStatus = z.output<typeof ConsumerStatusSchema>;

// ---------------------------------------------------------------------------------------------
// Topics

/** `{ queue, filter? }`. */
export type Subscription = z.input<typeof SubscriptionSchema>;
/** Fields of `PUT /v1/topics/{topic}`. */
export type TopicOptions = z.input<typeof PutTopicRequest>;
/** A topic as the server answers it. */
export type Topic = z.output<typeof TopicSchema>;
/** A message to publish to a topic (a queue publish without `waitSeconds`). */
export type TopicPublishInput = WithDate<z.input<typeof TopicPublishRequest>>;
/** `{ queue, id, duplicate? }`: one queue's copy of a topic publish. */
export type TopicDelivery = z.output<typeof TopicDeliverySchema>;
/** `{ id, deliveries }`. */
export type TopicPublishResult = z.output<typeof TopicPublishResponse>;

// ---------------------------------------------------------------------------------------------
// Service

/** `{ status: 'ok' }`. */
export type Health = z.output<typeof HealthResponse>;

/**
 * A schedule's definition, as `PUT /v1/schedules/{name}` takes it (`start`/`end` may be `Date`s):
 * exactly one of `cron` and `everySeconds`, a target queue or topic, the message template.
 */
export type ScheduleDefinition = Omit<z.input<typeof PutScheduleRequest>, 'start' | 'end'> & {
  start?: string | Date;
  end?: string | Date;
};
/** A schedule with its next 5 firings (UTC), last firing and last error. */
export type Schedule = z.output<typeof ScheduleSchema>;
/** `{ schedules, cursor }`: one page of `GET /v1/schedules`. */
export type ScheduleList = z.output<typeof ScheduleListSchema>;
