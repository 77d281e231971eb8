/**
 * `PostboxClient`: one typed method per route of the HTTP contract (docs/api.md).
 */
import type { z } from 'zod';
import type { QueueListSchema, TopicListSchema } from '../../functions/api/schemas';
import { type ConsumeOptions, consume, type MessageHandler } from './consume';
import { type Authorizer, type CallOptions, Transport } from './http';
import type { RetryOptions } from './retry';
import { definitionOf } from './schedule-definition';
import { isExecuteApiUrl, type SigV4Options, sigV4Authorizer } from './sigv4';
import type {
  AckBatchEntry,
  BrowseOptions,
  ConsumerStatus,
  DeliveredMessage,
  ExtendResult,
  Health,
  MessageView,
  PageOptions,
  PublishBatchEntry,
  PublishInput,
  PublishOptions,
  PublishResult,
  Queue,
  QueueOptions,
  QueueRates,
  QueueWithCounts,
  ReceiveOptions,
  RedriveMessageOptions,
  RedriveMessageResult,
  RedriveOptions,
  RedriveResult,
  RescheduleInput,
  Schedule,
  ScheduleDefinition,
  ScheduleList,
  Subscription,
  Topic,
  TopicPublishInput,
  TopicPublishResult,
} from './types';

export const DEFAULT_URL = 'http://127.0.0.1:3000';

/**
 * Where the client connects and how.
 *
 * @example
 * ```ts
 * // The local server, with its token and a shorter timeout:
 * new PostboxClient({ url: 'http://127.0.0.1:3000', token: 's3cret', timeoutMs: 5_000 });
 * // The deployed API: SigV4 with the region from the URL and the standard AWS credentials.
 * new PostboxClient({ url: 'https://a1b2c3.execute-api.eu-west-1.amazonaws.com' });
 * ```
 */
export interface PostboxClientOptions {
  /** The API's base URL (an API Gateway stage path included). @default 'http://127.0.0.1:3000' */
  url?: string;
  /** The local server's bearer token (`POSTBOX_TOKEN`). @default none */
  token?: string;
  /**
   * Sign requests with AWS SigV4 (the deployed API): `true`, or options (region, credentials).
   * @default true for an `execute-api` URL, false otherwise
   */
  sigv4?: boolean | SigV4Options;
  /** Per attempt; long polls add their wait to it. @default 10000 */
  timeoutMs?: number;
  /** Backoff settings, or `false` for no retries at all. @default see RetryOptions */
  retry?: RetryOptions | false;
  /** The fetch to use; for tests and proxies. @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** `{ queues, cursor }`: one page of `GET /v1/queues`. */
export type QueueList = z.output<typeof QueueListSchema>;
/** `{ topics, cursor }`: one page of `GET /v1/topics`. */
export type TopicList = z.output<typeof TopicListSchema>;
/** `{ messages, cursor }`: one page of browse. */
export interface BrowsePage<Body = unknown> {
  messages: MessageView<Body>[];
  cursor: string | null;
}

const CALL_KEYS = ['signal', 'timeoutMs'] as const;

/** Splits a method's options into the request fields and the call's own options. */
function split<T extends object>(options: (T & CallOptions) | undefined): [T, CallOptions] {
  const fields = { ...options } as T & CallOptions;
  const call: CallOptions = {};
  for (const key of CALL_KEYS) {
    if (key in fields) {
      (call as Record<string, unknown>)[key] = fields[key];
      delete fields[key];
    }
  }
  return [fields, call];
}

/** `deliverAt` as the contract's string, when a Date was given. */
function withIsoDates<T extends { deliverAt?: string | Date }>(input: T): T {
  return input.deliverAt instanceof Date ? { ...input, deliverAt: input.deliverAt.toISOString() } : input;
}

const isoOf = (value: string | Date | undefined) => (value instanceof Date ? value.toISOString() : value);

const seconds = (value: number | undefined) => (value ?? 0) * 1_000;

/**
 * A typed client for the Postbox HTTP API, locally (bearer token) or deployed (SigV4).
 *
 * Failed calls throw a {@link PostboxError}. Calls are retried on 429/503 answers and network
 * failures when repeating them cannot duplicate work (see retry.ts and the README, "Retries").
 *
 * @example
 * ```ts
 * const client = new PostboxClient({ url: 'http://127.0.0.1:3000', token: process.env.POSTBOX_TOKEN });
 * await client.createQueue('orders');
 * await client.publish('orders', { orderId: 42 });
 * const [message] = await client.receive<{ orderId: number }>('orders', { waitSeconds: 5 });
 * if (message?.receipt) await client.ack('orders', message.receipt);
 * ```
 */
export class PostboxClient {
  /** The base URL requests go to. */
  readonly url: string;
  private readonly transport: Transport;

  constructor(options: PostboxClientOptions = {}) {
    this.url = options.url ?? DEFAULT_URL;
    const sigv4 = options.sigv4 ?? isExecuteApiUrl(this.url);
    let authorize: Authorizer = async () => ({});
    if (sigv4) authorize = sigV4Authorizer(this.url, sigv4 === true ? {} : sigv4);
    else if (options.token) {
      const header = { authorization: `Bearer ${options.token}` };
      authorize = async () => header;
    }
    this.transport = new Transport({
      url: this.url,
      authorize,
      fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
      timeoutMs: options.timeoutMs ?? 10_000,
      retry: options.retry ?? {},
    });
  }

  // -------------------------------------------------------------------------------------------
  // Queues

  /**
   * Creates a queue, or updates the given fields of an existing one (`PUT`, idempotent).
   * `created` tells which.
   *
   * @example
   * ```ts
   * const { queue, created } = await client.putQueue('orders', { visibilityTimeoutSeconds: 60 });
   * ```
   */
  async putQueue(
    name: string,
    options?: QueueOptions & CallOptions,
  ): Promise<{ queue: Queue; created: boolean }> {
    const [body, call] = split(options);
    const answer = await this.transport.send<Queue>({
      method: 'PUT',
      path: ['v1', 'queues', name],
      body,
      repeat: 'idempotent',
      ...call,
    });
    return { queue: answer.data, created: answer.status === 201 };
  }

  /**
   * Creates a queue, or updates an existing one; answers the queue's configuration.
   *
   * @example
   * ```ts
   * await client.createQueue('orders-dlq');
   * await client.createQueue('orders', { deadLetterQueue: 'orders-dlq', maxReceiveCount: 5 });
   * ```
   */
  async createQueue(name: string, options?: QueueOptions & CallOptions): Promise<Queue> {
    return (await this.putQueue(name, options)).queue;
  }

  /**
   * A queue's configuration and its message counts.
   *
   * @example
   * ```ts
   * const { counts } = await client.getQueue('orders');
   * console.log(counts.ready, counts.inFlight);
   * ```
   */
  async getQueue(name: string, call?: CallOptions): Promise<QueueWithCounts> {
    return this.get(['v1', 'queues', name], undefined, call);
  }

  /**
   * One page of queues in name order.
   *
   * @example
   * ```ts
   * const { queues, cursor } = await client.listQueues({ limit: 10 });
   * ```
   */
  async listQueues(options?: PageOptions & CallOptions): Promise<QueueList> {
    const [query, call] = split(options);
    return this.get(['v1', 'queues'], query, call);
  }

  /**
   * Every queue, page after page.
   *
   * @example
   * ```ts
   * for await (const queue of client.allQueues()) console.log(queue.name);
   * ```
   */
  async *allQueues(call?: CallOptions): AsyncGenerator<Queue> {
    let cursor: string | undefined;
    do {
      const page = await this.listQueues({ ...call, cursor });
      yield* page.queues;
      cursor = page.cursor ?? undefined;
    } while (cursor !== undefined);
  }

  /**
   * Deletes a queue and all its messages.
   *
   * @example
   * ```ts
   * await client.deleteQueue('orders');
   * ```
   */
  async deleteQueue(name: string, call?: CallOptions): Promise<void> {
    await this.transport.send({
      method: 'DELETE',
      path: ['v1', 'queues', name],
      repeat: 'settle',
      settleCodes: ['QueueNotFound'],
      ...call,
    });
  }

  /**
   * Removes every message of a queue, in any state.
   *
   * @example
   * ```ts
   * await client.purgeQueue('orders');
   * ```
   */
  async purgeQueue(name: string, call?: CallOptions): Promise<void> {
    await this.transport.send({
      method: 'POST',
      path: ['v1', 'queues', name, 'purge'],
      body: {},
      repeat: 'idempotent',
      ...call,
    });
  }

  /**
   * Pauses a queue: receives answer nothing and consumers are not invoked until it is resumed;
   * publishes are still accepted. The queue's `paused` field says so.
   *
   * @example
   * ```ts
   * await client.pauseQueue('orders');
   * ```
   */
  async pauseQueue(name: string, call?: CallOptions): Promise<void> {
    await this.transport.send({
      method: 'POST',
      path: ['v1', 'queues', name, 'pause'],
      body: {},
      repeat: 'idempotent',
      ...call,
    });
  }

  /**
   * Resumes a paused queue: receives and consumers get messages again.
   *
   * @example
   * ```ts
   * await client.resumeQueue('orders');
   * ```
   */
  async resumeQueue(name: string, call?: CallOptions): Promise<void> {
    await this.transport.send({
      method: 'POST',
      path: ['v1', 'queues', name, 'resume'],
      body: {},
      repeat: 'idempotent',
      ...call,
    });
  }

  // -------------------------------------------------------------------------------------------
  // Publishing

  /**
   * Publishes one message. Retried after a lost answer only with a `deduplicationId`, which
   * makes a repeat harmless (it then may answer `duplicate: true` for its own first copy).
   *
   * @example
   * ```ts
   * const { id } = await client.publish('orders', { orderId: 42 }, { priority: 5, deduplicationId: 'order-42' });
   * await client.publish('reminders', 'call back', { deliverAt: new Date(Date.now() + 3_600_000) });
   * ```
   */
  async publish(
    queue: string,
    body: unknown,
    options?: PublishOptions & CallOptions,
  ): Promise<PublishResult> {
    const [fields, call] = split(options);
    const answer = await this.transport.send<PublishResult>({
      method: 'POST',
      path: ['v1', 'queues', queue, 'messages'],
      body: withIsoDates({ body, ...fields }),
      repeat: fields.deduplicationId === undefined ? 'once' : 'idempotent',
      waitMs: seconds(fields.waitSeconds),
      ...call,
    });
    return answer.data;
  }

  /**
   * Publishes up to 25 messages in one request; one result per message, in order, each either
   * `{ id, deliverAt, duplicate }` or `{ error: { code, message } }` for that message alone.
   *
   * @example
   * ```ts
   * const results = await client.publishBatch('orders', [{ body: { orderId: 1 } }, { body: { orderId: 2 }, priority: 9 }]);
   * const failed = results.filter((result) => 'error' in result);
   * ```
   */
  async publishBatch(
    queue: string,
    messages: PublishInput[],
    call?: CallOptions,
  ): Promise<PublishBatchEntry[]> {
    const wait = Math.max(0, ...messages.map((message) => message.waitSeconds ?? 0));
    const answer = await this.transport.send<{ results: PublishBatchEntry[] }>({
      method: 'POST',
      path: ['v1', 'queues', queue, 'messages', 'batch'],
      body: { messages: messages.map(withIsoDates) },
      repeat: messages.every((message) => message.deduplicationId !== undefined) ? 'idempotent' : 'once',
      waitMs: seconds(wait),
      ...call,
    });
    return answer.data.results;
  }

  // -------------------------------------------------------------------------------------------
  // Consuming

  /**
   * Receives up to `maxMessages` (1–10) ready messages, waiting up to `waitSeconds` (0–20) for
   * one. With manual ack (the default) each carries a `receipt` for ack, release and extend.
   *
   * @example
   * ```ts
   * const messages = await client.receive<{ orderId: number }>('orders', { maxMessages: 10, waitSeconds: 20 });
   * for (const message of messages) console.log(message.body.orderId, message.receiveCount);
   * ```
   */
  async receive<Body = unknown>(
    queue: string,
    options?: ReceiveOptions & CallOptions,
  ): Promise<DeliveredMessage<Body>[]> {
    const [fields, call] = split(options);
    const answer = await this.transport.send<{ messages: DeliveredMessage<Body>[] }>({
      method: 'POST',
      path: ['v1', 'queues', queue, 'receive'],
      body: fields,
      // A repeated manual receive only delays what the lost one leased; an auto-ack one would lose it.
      repeat: fields.ack === 'auto' ? 'once' : 'idempotent',
      waitMs: seconds(fields.waitSeconds),
      ...call,
    });
    return answer.data.messages;
  }

  /**
   * Acknowledges a message: it is done and gone. A receipt that no longer holds its message
   * throws `ReceiptExpired` (409), unless an earlier attempt of this very call may have acked it.
   *
   * @example
   * ```ts
   * await client.ack('orders', message.receipt!);
   * ```
   */
  async ack(queue: string, receipt: string, call?: CallOptions): Promise<void> {
    await this.transport.send({
      method: 'POST',
      path: ['v1', 'queues', queue, 'ack'],
      body: { receipt },
      repeat: 'settle',
      settleCodes: ['ReceiptExpired'],
      ...call,
    });
  }

  /**
   * Acknowledges up to 100 messages; one result per receipt, `{ receipt, ok: true }` or
   * `{ receipt, error }`.
   *
   * @example
   * ```ts
   * const results = await client.ackBatch('orders', messages.map((m) => m.receipt!));
   * ```
   */
  async ackBatch(queue: string, receipts: string[], call?: CallOptions): Promise<AckBatchEntry[]> {
    const answer = await this.transport.send<{ results: AckBatchEntry[] }>({
      method: 'POST',
      path: ['v1', 'queues', queue, 'ack'],
      body: { receipts },
      repeat: 'settle',
      ...call,
    });
    if (!answer.uncertain) return answer.data.results;
    // An earlier attempt may have acked some: for those the repeat says ReceiptExpired.
    return answer.data.results.map((entry) =>
      'error' in entry && entry.error.code === 'ReceiptExpired'
        ? { receipt: entry.receipt, ok: true }
        : entry,
    );
  }

  /**
   * Gives a message back (negative ack): ready again after `delaySeconds` (0–43,200), or
   * dead-lettered when it has used up its receives.
   *
   * @example
   * ```ts
   * await client.release('orders', message.receipt!, { delaySeconds: 30 });
   * ```
   */
  async release(
    queue: string,
    receipt: string,
    options?: { delaySeconds?: number } & CallOptions,
  ): Promise<void> {
    const [fields, call] = split(options);
    await this.transport.send({
      method: 'POST',
      path: ['v1', 'queues', queue, 'release'],
      body: { receipt, ...fields },
      repeat: 'settle',
      settleCodes: ['ReceiptExpired'],
      ...call,
    });
  }

  /**
   * Extends a lease (heartbeat): it now ends `visibilityTimeoutSeconds` after this call.
   *
   * @example
   * ```ts
   * const { leaseExpiresAt } = await client.extend('orders', message.receipt!, 60);
   * ```
   */
  async extend(
    queue: string,
    receipt: string,
    visibilityTimeoutSeconds: number,
    call?: CallOptions,
  ): Promise<ExtendResult> {
    const answer = await this.transport.send<ExtendResult>({
      method: 'POST',
      path: ['v1', 'queues', queue, 'extend'],
      body: { receipt, visibilityTimeoutSeconds },
      repeat: 'idempotent',
      ...call,
    });
    return answer.data;
  }

  /**
   * Runs `handler` for every message of a queue until `signal` aborts: long polls, heartbeats,
   * acks on success, releases with backoff on failure. See {@link ConsumeOptions}.
   *
   * @example
   * ```ts
   * const stop = new AbortController();
   * process.once('SIGINT', () => stop.abort());
   * await client.consume<{ orderId: number }>('orders', async (message) => {
   *   await ship(message.body.orderId);
   * }, { concurrency: 4, signal: stop.signal });
   * ```
   */
  consume<Body = unknown>(
    queue: string,
    handler: MessageHandler<Body>,
    options: ConsumeOptions = {},
  ): Promise<void> {
    return consume(this, queue, handler, options);
  }

  // -------------------------------------------------------------------------------------------
  // Looking at and changing messages

  /**
   * Looks at messages without receiving them (no lease, no receipt).
   *
   * @example
   * ```ts
   * const { messages, cursor } = await client.browse('orders', { state: 'delayed', limit: 50 });
   * ```
   */
  async browse<Body = unknown>(
    queue: string,
    options?: BrowseOptions & CallOptions,
  ): Promise<BrowsePage<Body>> {
    const [query, call] = split(options);
    return this.get(['v1', 'queues', queue, 'messages'], query, call);
  }

  /**
   * One message, in whatever state it is; `MessageNotFound` (404) when it is gone.
   *
   * @example
   * ```ts
   * const message = await client.getMessage('orders', id);
   * console.log(message.state, message.deliverAt);
   * ```
   */
  async getMessage<Body = unknown>(
    queue: string,
    id: string,
    call?: CallOptions,
  ): Promise<MessageView<Body>> {
    return this.get(['v1', 'queues', queue, 'messages', id], undefined, call);
  }

  /**
   * Cancels a message in any state (a scheduled one is never delivered).
   *
   * @example
   * ```ts
   * await client.deleteMessage('reminders', id);
   * ```
   */
  async deleteMessage(queue: string, id: string, call?: CallOptions): Promise<void> {
    await this.transport.send({
      method: 'DELETE',
      path: ['v1', 'queues', queue, 'messages', id],
      repeat: 'settle',
      settleCodes: ['MessageNotFound'],
      ...call,
    });
  }

  /**
   * Changes when a ready or delayed message is delivered, and/or its priority.
   *
   * @example
   * ```ts
   * await client.reschedule('reminders', id, { deliverAt: new Date('2030-01-01T09:00:00Z'), priority: 9 });
   * ```
   */
  async reschedule<Body = unknown>(
    queue: string,
    id: string,
    input: RescheduleInput,
    call?: CallOptions,
  ): Promise<MessageView<Body>> {
    const answer = await this.transport.send<MessageView<Body>>({
      method: 'PATCH',
      path: ['v1', 'queues', queue, 'messages', id],
      body: withIsoDates(input),
      repeat: 'idempotent',
      ...call,
    });
    return answer.data;
  }

  /**
   * Moves dead letters out of `queue` (a dead-letter queue) back to `to`, or each to its source.
   *
   * @example
   * ```ts
   * const { moved } = await client.redrive('orders-dlq');
   * ```
   */
  async redrive(queue: string, options?: RedriveOptions & CallOptions): Promise<RedriveResult> {
    const [body, call] = split(options);
    const answer = await this.transport.send<RedriveResult>({
      method: 'POST',
      path: ['v1', 'queues', queue, 'redrive'],
      body,
      repeat: 'once',
      ...call,
    });
    return answer.data;
  }

  /**
   * Moves one ready or delayed message back to its dead letter's source queue, or to `to`;
   * answers where it is now (it keeps its id).
   *
   * @example
   * ```ts
   * await client.redriveMessage('orders-dlq', id);
   * ```
   */
  async redriveMessage(
    queue: string,
    id: string,
    options?: RedriveMessageOptions & CallOptions,
  ): Promise<RedriveMessageResult> {
    const [body, call] = split(options);
    const answer = await this.transport.send<RedriveMessageResult>({
      method: 'POST',
      path: ['v1', 'queues', queue, 'messages', id, 'redrive'],
      body,
      repeat: 'once',
      ...call,
    });
    return answer.data;
  }

  // -------------------------------------------------------------------------------------------
  // Operating

  /**
   * Published, delivered and acked messages per second (over the last 10 s) and in total, as
   * counted by the server process that answers: locally everything; deployed, one Lambda
   * instance's share. It reads nothing from the store.
   *
   * @example
   * ```ts
   * const { published, acked } = await client.rates('orders');
   * ```
   */
  async rates(queue: string, call?: CallOptions): Promise<QueueRates> {
    return this.get(['v1', 'queues', queue, 'rates'], undefined, call);
  }

  /**
   * The local runtime's consumers and their state (running, idle, failing); deployed, none.
   *
   * @example
   * ```ts
   * for (const consumer of await client.consumers()) console.log(consumer.queue, consumer.state);
   * ```
   */
  async consumers(call?: CallOptions): Promise<ConsumerStatus[]> {
    const answer = await this.get<{ consumers: ConsumerStatus[] }>(['v1', 'consumers'], undefined, call);
    return answer.consumers;
  }

  // -------------------------------------------------------------------------------------------
  // Topics

  /**
   * Creates a topic or replaces its subscriptions; `created` tells which.
   *
   * @example
   * ```ts
   * await client.putTopic('order-events', [{ queue: 'billing' }, { queue: 'eu', filter: { region: ['eu'] } }]);
   * ```
   */
  async putTopic(
    name: string,
    subscriptions: Subscription[],
    call?: CallOptions,
  ): Promise<{ topic: Topic; created: boolean }> {
    const answer = await this.transport.send<Topic>({
      method: 'PUT',
      path: ['v1', 'topics', name],
      body: { subscriptions },
      repeat: 'idempotent',
      ...call,
    });
    return { topic: answer.data, created: answer.status === 201 };
  }

  /**
   * Creates a topic or replaces its subscriptions; answers the topic.
   *
   * @example
   * ```ts
   * await client.createTopic('order-events', [{ queue: 'billing' }]);
   * ```
   */
  async createTopic(name: string, subscriptions: Subscription[], call?: CallOptions): Promise<Topic> {
    return (await this.putTopic(name, subscriptions, call)).topic;
  }

  /**
   * A topic and its subscriptions.
   *
   * @example
   * ```ts
   * const { subscriptions } = await client.getTopic('order-events');
   * ```
   */
  async getTopic(name: string, call?: CallOptions): Promise<Topic> {
    return this.get(['v1', 'topics', name], undefined, call);
  }

  /**
   * One page of topics in name order.
   *
   * @example
   * ```ts
   * const { topics, cursor } = await client.listTopics();
   * ```
   */
  async listTopics(options?: PageOptions & CallOptions): Promise<TopicList> {
    const [query, call] = split(options);
    return this.get(['v1', 'topics'], query, call);
  }

  /**
   * Every topic, page after page.
   *
   * @example
   * ```ts
   * for await (const topic of client.allTopics()) console.log(topic.name);
   * ```
   */
  async *allTopics(call?: CallOptions): AsyncGenerator<Topic> {
    let cursor: string | undefined;
    do {
      const page = await this.listTopics({ ...call, cursor });
      yield* page.topics;
      cursor = page.cursor ?? undefined;
    } while (cursor !== undefined);
  }

  /**
   * Deletes a topic (its queues and their messages stay).
   *
   * @example
   * ```ts
   * await client.deleteTopic('order-events');
   * ```
   */
  async deleteTopic(name: string, call?: CallOptions): Promise<void> {
    await this.transport.send({
      method: 'DELETE',
      path: ['v1', 'topics', name],
      repeat: 'settle',
      settleCodes: ['TopicNotFound'],
      ...call,
    });
  }

  /**
   * Publishes once to every subscribed queue whose filter matches, atomically.
   *
   * @example
   * ```ts
   * const { deliveries } = await client.publishToTopic('order-events', { orderId: 42 }, { attributes: { region: 'eu' } });
   * ```
   */
  async publishToTopic(
    topic: string,
    body: unknown,
    options?: Omit<TopicPublishInput, 'body'> & CallOptions,
  ): Promise<TopicPublishResult> {
    const [fields, call] = split(options);
    const answer = await this.transport.send<TopicPublishResult>({
      method: 'POST',
      path: ['v1', 'topics', topic, 'messages'],
      body: withIsoDates({ body, ...fields }),
      repeat: fields.deduplicationId === undefined ? 'once' : 'idempotent',
      ...call,
    });
    return answer.data;
  }

  // -------------------------------------------------------------------------------------------
  // Schedules

  /**
   * Creates or replaces a recurring schedule; `created` tells which. Each firing publishes the
   * message once, with attributes `postbox.schedule` and `postbox.firedAt`.
   *
   * @example
   * ```ts
   * await client.putSchedule('weekday-report', {
   *   cron: 'CRON_TZ=Europe/Berlin 0 9 * * 1-5',
   *   target: { queue: 'reports' },
   *   message: { body: { report: 'daily' } },
   * });
   * ```
   */
  async putSchedule(
    name: string,
    definition: ScheduleDefinition,
    call?: CallOptions,
  ): Promise<{ schedule: Schedule; created: boolean }> {
    const body = { ...definition, start: isoOf(definition.start), end: isoOf(definition.end) };
    const answer = await this.transport.send<Schedule>({
      method: 'PUT',
      path: ['v1', 'schedules', name],
      body,
      repeat: 'idempotent',
      ...call,
    });
    return { schedule: answer.data, created: answer.status === 201 };
  }

  /**
   * A schedule with its next 5 firings.
   *
   * @example
   * ```ts
   * const { nextFirings } = await client.getSchedule('weekday-report');
   * ```
   */
  async getSchedule(name: string, call?: CallOptions): Promise<Schedule> {
    return this.get(['v1', 'schedules', name], undefined, call);
  }

  /**
   * One page of schedules in name order.
   *
   * @example
   * ```ts
   * const { schedules, cursor } = await client.listSchedules({ limit: 50 });
   * ```
   */
  async listSchedules(options?: PageOptions & CallOptions): Promise<ScheduleList> {
    const [query, call] = split(options);
    return this.get(['v1', 'schedules'], query, call);
  }

  /**
   * Every schedule, page after page.
   *
   * @example
   * ```ts
   * for await (const schedule of client.allSchedules()) console.log(schedule.name, schedule.nextFirings[0]);
   * ```
   */
  async *allSchedules(call?: CallOptions): AsyncGenerator<Schedule> {
    let cursor: string | undefined;
    do {
      const page = await this.listSchedules({ ...call, cursor });
      yield* page.schedules;
      cursor = page.cursor ?? undefined;
    } while (cursor !== undefined);
  }

  /**
   * Deletes a schedule: it fires no more (what it published stays).
   *
   * @example
   * ```ts
   * await client.deleteSchedule('weekday-report');
   * ```
   */
  async deleteSchedule(name: string, call?: CallOptions): Promise<void> {
    await this.transport.send({
      method: 'DELETE',
      path: ['v1', 'schedules', name],
      repeat: 'settle',
      settleCodes: ['NotFound'],
      ...call,
    });
  }

  /**
   * Pauses (`paused: true`) or resumes a schedule: its definition read and put again with the
   * flag changed. A resumed schedule fires from its next firing after now.
   *
   * @example
   * ```ts
   * await client.setSchedulePaused('weekday-report', true);
   * ```
   */
  async setSchedulePaused(name: string, paused: boolean, call?: CallOptions): Promise<Schedule> {
    const current = await this.getSchedule(name, call);
    return (await this.putSchedule(name, { ...definitionOf(current), paused }, call)).schedule;
  }

  // -------------------------------------------------------------------------------------------
  // Service

  /**
   * `{ status: 'ok' }` when the server and its store answer; throws `ServiceUnavailable` otherwise.
   *
   * @example
   * ```ts
   * await client.health();
   * ```
   */
  async health(call?: CallOptions): Promise<Health> {
    return this.get(['v1', 'health'], undefined, call);
  }

  private async get<T>(path: string[], query: object | undefined, call: CallOptions = {}): Promise<T> {
    const answer = await this.transport.send<T>({
      method: 'GET',
      path,
      query: query as Record<string, string | number | undefined>,
      repeat: 'idempotent',
      ...call,
    });
    return answer.data;
  }
}
