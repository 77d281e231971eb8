/**
 * The engine as the local server uses it: every call goes to the real engine unchanged, and the
 * due times its answers imply are noted in the due tracker (due-tracker.ts), at no DynamoDB cost:
 *
 *   publish, publishBatch        deliverAt in the future (a grouped one is kept: it may be waiting
 *                                behind its head, outside the store's timer range)
 *   publishToTopic               each delivery's queue, at the input's delay or the queue's default
 *   receive (manual ack)         the lease end: now + the visibility timeout
 *   release with a delay, extend, rescheduleMessage    the new due time
 *   purgeQueue, deleteQueue      the queue is forgotten
 *   putQueue, getQueue, listQueues                     the queue's delay and visibility timeout
 *   redrive with `to`            the target runs soon (moved messages may be delayed there)
 *   putSchedule                  the schedule timer (schedule-timer.ts) hears of its next firing
 *   runDueSchedules              each fired message's queue, at its due time
 *
 * A due time that needs a queue's configuration this process has not seen yet is replaced by a run
 * one second later (whose answer is the store's next timer), and the registry is read again.
 */
import type { Clock, Engine, PublishOptions } from '../core/engine';
import type { DueSchedulesResult, ScheduleInput } from '../core/schedules/types';
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
  TopicPublishResult,
} from '../core/types';
import type { DueTracker } from './due-tracker';

/** How soon a queue whose configuration is unknown runs to learn its next timer from the store. */
const DISCOVERY_MS = 1_000;

export class TrackedEngine implements Engine {
  /** Told the next firing of every schedule defined through this engine (the schedule timer). */
  onScheduleDefined: ((nextAt: number) => void) | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly tracker: DueTracker,
    private readonly clock: Clock = Date.now,
  ) {}

  async putQueue(name: string, fields: QueueFields) {
    const answer = await this.engine.putQueue(name, fields);
    this.tracker.learnConfig(answer.queue);
    return answer;
  }

  async getQueue(name: string): Promise<Queue & { counts: QueueCounts }> {
    const queue = await this.engine.getQueue(name);
    this.tracker.learnConfig(queue);
    return queue;
  }

  async listQueues(options: { limit: number; cursor?: string }): Promise<Page<Queue>> {
    const page = await this.engine.listQueues(options);
    for (const queue of page.items) this.tracker.learnConfig(queue);
    return page;
  }

  async deleteQueue(name: string): Promise<void> {
    await this.engine.deleteQueue(name);
    this.tracker.forget(name, true);
  }

  async purgeQueue(name: string): Promise<void> {
    await this.engine.purgeQueue(name);
    this.tracker.forget(name);
  }

  pauseQueue(name: string): Promise<void> {
    return this.engine.pauseQueue(name);
  }

  resumeQueue(name: string): Promise<void> {
    return this.engine.resumeQueue(name);
  }

  async publish(queue: string, input: PublishInput, options?: PublishOptions): Promise<PublishResult> {
    const result = await this.engine.publish(queue, input, options);
    this.notePublished(queue, input, result);
    return result;
  }

  async publishBatch(
    queue: string,
    inputs: PublishInput[],
    options?: PublishOptions,
  ): Promise<BatchEntry<PublishResult>[]> {
    const results = await this.engine.publishBatch(queue, inputs, options);
    results.forEach((result, i) => {
      if (result.ok) this.notePublished(queue, inputs[i] as PublishInput, result.value);
    });
    return results;
  }

  async receive(queue: string, options: ReceiveOptions): Promise<DeliveredMessage[]> {
    const delivered = await this.engine.receive(queue, options);
    if (delivered.length > 0 && options.ack !== 'auto') {
      const seconds =
        options.visibilityTimeoutSeconds ?? this.tracker.configOf(queue)?.visibilityTimeoutSeconds;
      this.noteAfter(queue, seconds);
    }
    return delivered;
  }

  rateLimitWaitMs(queue: string, tokens: number) {
    return this.engine.rateLimitWaitMs(queue, tokens);
  }

  ack(queue: string, receipt: string) {
    return this.engine.ack(queue, receipt);
  }

  ackBatch(queue: string, receipts: string[]) {
    return this.engine.ackBatch(queue, receipts);
  }

  async release(queue: string, receipt: string, delaySeconds: number): Promise<void> {
    await this.engine.release(queue, receipt, delaySeconds);
    if (delaySeconds > 0) this.tracker.note(queue, this.clock() + delaySeconds * 1000);
  }

  async extend(queue: string, receipt: string, visibilityTimeoutSeconds: number) {
    const answer = await this.engine.extend(queue, receipt, visibilityTimeoutSeconds);
    this.tracker.note(queue, answer.leaseExpiresAt);
    return answer;
  }

  browse(queue: string, options: { state: BrowseState; limit: number; cursor?: string }) {
    return this.engine.browse(queue, options);
  }

  getMessage(queue: string, id: string) {
    return this.engine.getMessage(queue, id);
  }

  deleteMessage(queue: string, id: string) {
    return this.engine.deleteMessage(queue, id);
  }

  async rescheduleMessage(queue: string, id: string, input: RescheduleInput): Promise<MessageView> {
    const view = await this.engine.rescheduleMessage(queue, id, input);
    if (view.deliverAt > this.clock()) this.noteAt(queue, view.deliverAt, view.groupId !== null);
    return view;
  }

  async redrive(queue: string, options: { to?: string; maxMessages?: number }) {
    const answer = await this.engine.redrive(queue, options);
    if (options.to !== undefined && answer.moved > 0) this.tracker.note(options.to, this.clock());
    return answer;
  }

  async redriveMessage(queue: string, id: string, options: { to?: string }) {
    const answer = await this.engine.redriveMessage(queue, id, options);
    // The moved message may be delayed (group member, due later) in its new queue.
    this.tracker.note(answer.queue, this.clock());
    return answer;
  }

  putTopic(name: string, subscriptions: Subscription[]) {
    return this.engine.putTopic(name, subscriptions);
  }

  getTopic(name: string) {
    return this.engine.getTopic(name);
  }

  listTopics(options: { limit: number; cursor?: string }) {
    return this.engine.listTopics(options);
  }

  deleteTopic(name: string) {
    return this.engine.deleteTopic(name);
  }

  async publishToTopic(topic: string, input: PublishInput): Promise<TopicPublishResult> {
    const result = await this.engine.publishToTopic(topic, input);
    const now = this.clock();
    for (const delivery of result.deliveries) {
      if (delivery.duplicate) continue;
      if (input.deliverAt !== undefined) {
        if (input.deliverAt > now) this.noteAt(delivery.queue, input.deliverAt, mayBeGrouped(input));
        continue;
      }
      const seconds = input.delaySeconds ?? this.tracker.configOf(delivery.queue)?.delaySeconds;
      if (seconds === undefined) this.noteAfter(delivery.queue, undefined);
      else if (seconds > 0) this.noteAt(delivery.queue, now + seconds * 1000, mayBeGrouped(input));
    }
    return result;
  }

  async putSchedule(name: string, input: ScheduleInput) {
    const answer = await this.engine.putSchedule(name, input);
    const [nextAt] = answer.schedule.nextFirings;
    if (nextAt !== undefined) this.onScheduleDefined?.(nextAt);
    return answer;
  }

  getSchedule(name: string) {
    return this.engine.getSchedule(name);
  }

  listSchedules(options: { limit: number; cursor?: string }) {
    return this.engine.listSchedules(options);
  }

  deleteSchedule(name: string) {
    return this.engine.deleteSchedule(name);
  }

  async runDueSchedules(): Promise<DueSchedulesResult> {
    const result = await this.engine.runDueSchedules();
    const now = this.clock();
    for (const message of result.fired) {
      if (message.deliverAt > now) this.tracker.keep(message.queue, message.deliverAt);
    }
    return result;
  }

  health() {
    return this.engine.health();
  }

  runDueWork() {
    return this.engine.runDueWork();
  }

  runQueueDueWork(queue: string, options?: { tidy?: boolean }) {
    return this.engine.runQueueDueWork(queue, options);
  }

  private notePublished(queue: string, input: PublishInput, result: PublishResult): void {
    if (result.deliverAt > this.clock()) this.noteAt(queue, result.deliverAt, mayBeGrouped(input));
  }

  /** A grouped message may wait behind its head, outside the timers the store answers: kept. */
  private noteAt(queue: string, at: number, grouped: boolean): void {
    if (grouped) this.tracker.keep(queue, at);
    else this.tracker.note(queue, at);
  }

  /** `seconds` from now, or, when the queue's configuration is not known here, a run to find out. */
  private noteAfter(queue: string, seconds: number | undefined): void {
    const now = this.clock();
    if (seconds !== undefined) {
      this.tracker.note(queue, now + seconds * 1000);
      return;
    }
    this.tracker.note(queue, now + DISCOVERY_MS);
    this.tracker.refreshConfigs();
  }
}

/**
 * Whether a new message may be a group member: it has a groupId, or attributes, one of which may
 * name its group (groupLimits.key, limit-group.ts). Keeping a time for a message of no group only
 * runs its queue once more.
 */
const mayBeGrouped = (input: PublishInput) =>
  input.groupId !== undefined || (input.attributes !== undefined && Object.keys(input.attributes).length > 0);
