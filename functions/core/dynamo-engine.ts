/**
 * The engine on DynamoDB: wires the transition families (queues, publish, receive, lease,
 * browse, due work) to one store, one clock and one set of in-process signals.
 */
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ActiveQueues } from './active-queues';
import { Browser } from './browse';
import { DueWork } from './due-work';
import type { Clock, Engine, PublishOptions } from './engine';
import { ServiceUnavailableError } from './errors';
import { Pauser } from './flow/pause';
import { Leases } from './lease';
import { Publisher } from './publish';
import { QueueMetaCache, queueOf } from './queue-meta';
import { Queues } from './queues';
import { Receiver } from './receive';
import { Redriver } from './redrive';
import { MessageRedriver } from './redrive-message';
import { Rescheduler } from './reschedule';
import { Schedules, type SchedulesOptions } from './schedules/schedules';
import type { ScheduleInput } from './schedules/types';
import { ShardHints } from './shards';
import { Signals } from './signals';
import { Store } from './store';
import { Topics } from './topics';
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

export interface DynamoEngineOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Epoch milliseconds. @default Date.now */
  clock?: Clock;
  /**
   * How long a queue's configuration read by this process is reused. Changes made through this
   * process apply at once; changes made elsewhere within this time. @default 1000
   */
  configCacheMs?: number;
  /** Catch-up policy and run size of the recurring schedules (schedules/plan.ts). */
  schedules?: SchedulesOptions;
}

export class DynamoEngine implements Engine {
  readonly store: Store;
  private readonly metas: QueueMetaCache;
  private readonly queues: Queues;
  private readonly publisher: Publisher;
  private readonly receiver: Receiver;
  private readonly leases: Leases;
  private readonly browser: Browser;
  private readonly dueWork: DueWork;
  private readonly rescheduler: Rescheduler;
  private readonly redriver: Redriver;
  private readonly messageRedriver: MessageRedriver;
  private readonly topics: Topics;
  private readonly schedules: Schedules;
  private readonly pauser: Pauser;
  private readonly active: ActiveQueues;

  constructor(options: DynamoEngineOptions) {
    const clock = options.clock ?? Date.now;
    const signals = new Signals();
    this.store = new Store(options.client, options.tableName);
    this.metas = new QueueMetaCache(this.store, options.configCacheMs ?? 1_000);
    this.topics = new Topics(this.store, this.metas, clock, signals);
    this.queues = new Queues(this.store, this.metas, clock, (queue) => this.topics.subscribersOf(queue));
    // What publishes of this process put where guides its receives on sharded queues.
    const hints = new ShardHints();
    this.publisher = new Publisher(this.store, this.metas, clock, signals, hints);
    this.receiver = new Receiver(this.store, this.metas, clock, signals, hints);
    this.leases = new Leases(this.store, this.metas, clock, signals);
    this.browser = new Browser(this.store, this.metas, clock);
    this.active = new ActiveQueues(this.store, this.metas, clock);
    this.dueWork = new DueWork(this.store, this.metas, clock, signals, this.active);
    this.rescheduler = new Rescheduler(this.store, this.metas, clock, signals);
    this.redriver = new Redriver(this.store, this.metas, clock, signals);
    this.messageRedriver = new MessageRedriver(this.store, this.metas, clock, signals);
    this.schedules = new Schedules(this.store, this.metas, this.topics, signals, clock, options.schedules);
    this.pauser = new Pauser(this.store, this.metas, signals);
  }

  async putQueue(name: string, fields: QueueFields) {
    const result = await this.queues.put(name, fields);
    // Marked when created, so that the first publishes in this process need no marker of their own.
    await this.active.mark(name);
    return result;
  }

  async getQueue(name: string): Promise<Queue & { counts: QueueCounts }> {
    const meta = await this.metas.read(name);
    return { ...queueOf(meta), counts: await this.browser.counts(meta) };
  }

  async listQueues(options: { limit: number; cursor?: string }): Promise<Page<Queue>> {
    return this.queues.list(options.limit, options.cursor);
  }

  deleteQueue(name: string) {
    return this.queues.delete(name);
  }

  purgeQueue(name: string) {
    return this.queues.purge(name);
  }

  pauseQueue(name: string) {
    return this.pauser.setPaused(name, true);
  }

  resumeQueue(name: string) {
    return this.pauser.setPaused(name, false);
  }

  async publish(queue: string, input: PublishInput, options?: PublishOptions): Promise<PublishResult> {
    await this.active.beforeMessages(queue);
    const [result] = await this.publisher.publish(queue, [input], options);
    if (!result?.ok) throw result?.error ?? new Error('publish returned no result');
    return result.value;
  }

  async publishBatch(
    queue: string,
    inputs: PublishInput[],
    options?: PublishOptions,
  ): Promise<BatchEntry<PublishResult>[]> {
    await this.active.beforeMessages(queue);
    return this.publisher.publish(queue, inputs, options);
  }

  async receive(queue: string, options: ReceiveOptions): Promise<DeliveredMessage[]> {
    await this.active.beforeDeadLetters(queue);
    return this.receiver.receive(queue, options);
  }

  rateLimitWaitMs(queue: string, tokens: number) {
    return this.receiver.rateLimitWaitMs(queue, tokens);
  }

  ack(queue: string, receipt: string) {
    return this.leases.ack(queue, receipt);
  }

  ackBatch(queue: string, receipts: string[]) {
    return this.leases.ackBatch(queue, receipts);
  }

  async release(queue: string, receipt: string, delaySeconds: number) {
    await this.active.beforeDeadLetters(queue);
    return this.leases.release(queue, receipt, delaySeconds);
  }

  extend(queue: string, receipt: string, visibilityTimeoutSeconds: number) {
    return this.leases.extend(queue, receipt, visibilityTimeoutSeconds);
  }

  browse(
    queue: string,
    options: { state: BrowseState; limit: number; cursor?: string },
  ): Promise<Page<MessageView>> {
    return this.browser.browse(queue, options);
  }

  getMessage(queue: string, id: string) {
    return this.browser.get(queue, id);
  }

  deleteMessage(queue: string, id: string) {
    return this.browser.delete(queue, id);
  }

  rescheduleMessage(queue: string, id: string, input: RescheduleInput): Promise<MessageView> {
    return this.rescheduler.reschedule(queue, id, input);
  }

  async redrive(queue: string, options: { to?: string; maxMessages?: number }) {
    if (options.to) await this.active.beforeMessages(options.to);
    return this.redriver.redrive(queue, options);
  }

  async redriveMessage(queue: string, id: string, options: { to?: string }) {
    const result = await this.messageRedriver.redrive(queue, id, options);
    await this.active.mark(result.queue);
    return result;
  }

  putTopic(name: string, subscriptions: Subscription[]) {
    return this.topics.put(name, subscriptions);
  }

  getTopic(name: string): Promise<Topic> {
    return this.topics.get(name);
  }

  listTopics(options: { limit: number; cursor?: string }): Promise<Page<Topic>> {
    return this.topics.list(options.limit, options.cursor);
  }

  deleteTopic(name: string) {
    return this.topics.delete(name);
  }

  async publishToTopic(topic: string, input: PublishInput): Promise<TopicPublishResult> {
    const result = await this.topics.publish(topic, input);
    // After the fact (the subscribed queues are known only now): see active-queues.ts.
    for (const delivery of result.deliveries) await this.active.mark(delivery.queue);
    return result;
  }

  putSchedule(name: string, input: ScheduleInput) {
    return this.schedules.put(name, input);
  }

  getSchedule(name: string) {
    return this.schedules.get(name);
  }

  listSchedules(options: { limit: number; cursor?: string }) {
    return this.schedules.list(options.limit, options.cursor);
  }

  deleteSchedule(name: string) {
    return this.schedules.delete(name);
  }

  runDueSchedules() {
    return this.schedules.runDue();
  }

  async health(): Promise<void> {
    try {
      await this.store.send(new DescribeTableCommand({ TableName: this.store.tableName }));
    } catch (error) {
      throw error instanceof ServiceUnavailableError
        ? error
        : new ServiceUnavailableError('The store does not answer.', { cause: error });
    }
  }

  runDueWork() {
    return this.dueWork.run();
  }

  runQueueDueWork(queue: string, options?: { tidy?: boolean }) {
    return this.dueWork.runQueue(queue, options);
  }
}
