/**
 * The queue engine's surface: everything the HTTP API, the local runtime and (later) the
 * dispatcher may ask of a queue. Implemented on DynamoDB by `DynamoEngine` (dynamo-engine.ts).
 * Inputs here are already shape-checked by the API's schemas; the engine still enforces every
 * rule that needs the store (existence, bounds, receipts, sizes).
 */
import type { DueSchedulesResult, Schedule, ScheduleInput } from './schedules/types';
import type {
  BatchEntry,
  BrowseState,
  DeliveredMessage,
  MessageView,
  Page,
  PublishInput,
  PublishResult,
  Queue,
  QueueCounts,
  QueueFields,
  ReceiveOptions,
  RescheduleInput,
  Subscription,
  Topic,
  TopicPublishResult,
} from './types';

/** Epoch milliseconds. Injected so tests control time. */
export type Clock = () => number;

export interface PublishOptions {
  /** On a full bounded queue, wait this long for room before QueueFull. */
  waitSeconds?: number;
  signal?: AbortSignal;
}

export interface Engine {
  /** Creates the queue with defaults for missing fields, or applies the given fields to it. */
  putQueue(name: string, fields: QueueFields): Promise<{ queue: Queue; created: boolean }>;
  getQueue(name: string): Promise<Queue & { counts: QueueCounts }>;
  listQueues(options: { limit: number; cursor?: string }): Promise<Page<Queue>>;
  deleteQueue(name: string): Promise<void>;
  purgeQueue(name: string): Promise<void>;
  /** Paused: receives answer nothing and consumers are not invoked; publishes are accepted. */
  pauseQueue(name: string): Promise<void>;
  resumeQueue(name: string): Promise<void>;

  publish(queue: string, input: PublishInput, options?: PublishOptions): Promise<PublishResult>;
  /** Entries take consecutive places in publish order, in input order; faults are per entry. */
  publishBatch(
    queue: string,
    inputs: PublishInput[],
    options?: PublishOptions,
  ): Promise<BatchEntry<PublishResult>[]>;

  receive(queue: string, options: ReceiveOptions): Promise<DeliveredMessage[]>;
  /**
   * How long until a receive of a rate-limited queue may get `tokens` messages (at most the
   * limit's burst) as far as this process knows, without a request: 0 now; undefined when the
   * queue has no rate limit or is paused. The dispatcher asks when a claim comes back empty, to
   * tell "held back by the rate" (wait, then claim a full batch) from "empty" (done).
   */
  rateLimitWaitMs(queue: string, tokens: number): Promise<number | undefined>;
  ack(queue: string, receipt: string): Promise<void>;
  ackBatch(queue: string, receipts: string[]): Promise<BatchEntry<void>[]>;
  release(queue: string, receipt: string, delaySeconds: number): Promise<void>;
  extend(
    queue: string,
    receipt: string,
    visibilityTimeoutSeconds: number,
  ): Promise<{ leaseExpiresAt: number }>;

  browse(
    queue: string,
    options: { state: BrowseState; limit: number; cursor?: string },
  ): Promise<Page<MessageView>>;
  getMessage(queue: string, id: string): Promise<MessageView>;
  deleteMessage(queue: string, id: string): Promise<void>;

  /** Changes when (and at which priority) a ready or delayed message is delivered; in flight: Conflict. */
  rescheduleMessage(queue: string, id: string, input: RescheduleInput): Promise<MessageView>;
  /** Moves dead letters back: to `to`, or each to the queue it came from. */
  redrive(queue: string, options: { to?: string; maxMessages?: number }): Promise<{ moved: number }>;
  /**
   * Moves one ready or delayed message to `to`, or back to its dead letter's source queue; in
   * flight or not a dead letter without `to`: Conflict. Answers where it went.
   */
  redriveMessage(queue: string, id: string, options: { to?: string }): Promise<{ queue: string; id: string }>;

  putTopic(name: string, subscriptions: Subscription[]): Promise<{ topic: Topic; created: boolean }>;
  getTopic(name: string): Promise<Topic>;
  listTopics(options: { limit: number; cursor?: string }): Promise<Page<Topic>>;
  deleteTopic(name: string): Promise<void>;
  /** Fans out to every matching subscribed queue in one transaction: all of them or none. */
  publishToTopic(topic: string, input: PublishInput): Promise<TopicPublishResult>;

  /** Creates or replaces a recurring schedule (functions/core/schedules). */
  putSchedule(name: string, input: ScheduleInput): Promise<{ schedule: Schedule; created: boolean }>;
  getSchedule(name: string): Promise<Schedule>;
  listSchedules(options: { limit: number; cursor?: string }): Promise<Page<Schedule>>;
  deleteSchedule(name: string): Promise<void>;
  /**
   * Publishes the due firings of every due schedule, each exactly once however many processes
   * run this at once (the deployed minute sweep, the local runtime's schedule timer).
   */
  runDueSchedules(): Promise<DueSchedulesResult>;

  /** Resolves when the store answers; throws ServiceUnavailableError otherwise. */
  health(): Promise<void>;

  /**
   * The timed work (the local runtime's timers, the deployed dispatcher's sweep): makes due
   * delayed messages and expired leases ready in every queue, and drops messages past retention.
   * Receives never depend on it to see due messages; it keeps delivery order strict and counts tidy.
   */
  runDueWork(): Promise<void>;

  /**
   * The same for one queue (the local runtime runs it at the queue's next due time): `tidy` adds
   * the retention and deduplication clean-up. Answers when the queue's earliest remaining timer
   * comes due (at or before now when more is due than one run takes), or null when it has none.
   */
  runQueueDueWork(queue: string, options?: { tidy?: boolean }): Promise<{ nextDueAt: number | null }>;
}
