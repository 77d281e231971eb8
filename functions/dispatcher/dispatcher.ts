/**
 * The deployed dispatcher's three duties, independent of the Lambda event shapes (lambda.ts):
 *
 *   stream   records of messages that became ready → drain those queues' consumers now;
 *            records of future timers → make sure their minutes get woken (schedules.ts)
 *   wake     a minute's timers, each delivered at its second (wake.ts)
 *   sweep    every minute, the safety net: the recurring schedules' due firings (the same
 *            minute wake-up serves every schedule: no EventBridge resource per schedule), the
 *            engine's timed work (due messages, expired leases, dead letters, retention), a drain
 *            of every consumer, and the queue metrics the alarms read (ready messages, oldest
 *            message age, dead letters)
 *   drain    `{ postbox: 'drain', queue }`, a hand-over: drain that queue's consumers, waiting out
 *            its rate limit
 *
 * A rate-limited queue (`rateLimit`) whose bucket is empty answers no claim until its next
 * tokens are due. Only the drain duty waits for them (drain.ts: the worker keeps its slot and
 * sleeps until a full batch's tokens are due), for at most RATE_DRAIN_MS: the other duties have
 * other work (a stream shard waits for its invocation to end, a wake-up has other timers, the
 * sweep its metrics). Any duty whose drain ends with the backlog held back by the rate, and the
 * queue still holding ready messages, hands the queue over: an asynchronous Invoke of the
 * dispatcher itself with the drain event (`RateHandOvers`). The chain is bounded by the
 * consumer's slots: a drain that waits holds one, so other invocations are turned away and hand
 * nothing over; at most `concurrency` chains per consumer, each one invocation per RATE_DRAIN_MS,
 * and a chain ends once the backlog is gone. Nothing is handed over that a fresh drain
 * invocation could not wait for (a batch's tokens more than RATE_DRAIN_MS away, or no time left
 * after the wait for the consumer's visibility timeout: the sweep claims those tokens when due),
 * and a drain invocation hands over only after delivering something, so no chain spins.
 *
 * At most `concurrency` batches of a consumer run at once across all invocations (DynamoSlots).
 */
import type { DynamoDBRecord } from 'aws-lambda';
import type { Clock, Engine } from '../core/engine';
import type { Store } from '../core/store';
import type { Consumer } from './consumer';
import type { BatchReport, DispatchDeps, Invoker } from './dispatch';
import { drain } from './drain';
import type { HandOver } from './invoke-lambda';
import type { Wakes } from './schedules';
import { DynamoSlots } from './slots';
import { readStream } from './stream';
import { batchTelemetry, type Telemetry } from './telemetry';
import { deliverMinute } from './wake';

/** What the dispatcher needs to know about the invocation it runs in. */
export interface Invocation {
  remainingMs(): number;
}

export interface DispatcherOptions {
  engine: Engine;
  store: Store;
  consumers: readonly Consumer[];
  invoke: Invoker;
  wakes: Wakes;
  source: DispatchDeps['source'];
  telemetry: Telemetry;
  /** @default Date.now */
  clock?: Clock;
  /** Longest sleep of a wake-up between two looks at the timers. @default 1000 */
  wakePollMs?: number;
  /**
   * Starts a drain invocation for a queue held back by its rate limit (an asynchronous Invoke of
   * this function). @default - none: a backlog held back waits for the next stream record or sweep
   */
  handOver?: HandOver;
  /** Sleeps of a drain waiting for its rate limit's tokens. @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
}

/** Time kept in reserve at the end of an invocation, to settle and report. */
const RESERVE_MS = 5_000;
/** Lambda stops any consumer invocation after 15 minutes. */
const MAX_HANDLER_MS = 900_000;
/**
 * How long a drain invocation waits out a queue's rate limit before it hands over to the next:
 * well inside the 15-minute timeout, whatever the consumer's visibility timeout, and short
 * enough that a long chain is many ordinary invocations (each picks up the code deployed).
 */
export const RATE_DRAIN_MS = 300_000;
/** The dispatcher function's timeout (infra/constructs/dispatcher.ts): what a fresh invocation has. */
const FUNCTION_TIMEOUT_MS = 900_000;

/** Time a batch of the consumer may take: its lease, as long as Lambda lets the handler run. */
const batchMs = (consumer: Consumer) => Math.min(consumer.visibilityTimeoutSeconds * 1000, MAX_HANDLER_MS);

/** Whether a drain invocation started now could wait `ms` for the consumer's tokens. */
const freshDrainCouldWait = (consumer: Consumer, ms: number) =>
  ms <= RATE_DRAIN_MS && ms + batchMs(consumer) + 2 * RESERVE_MS < FUNCTION_TIMEOUT_MS;

export class Dispatcher {
  private readonly clock: Clock;
  private readonly onBatch: (report: BatchReport) => void;
  /** Every consumed queue, once. */
  private readonly queues: string[];

  constructor(private readonly options: DispatcherOptions) {
    this.clock = options.clock ?? Date.now;
    this.onBatch = batchTelemetry(options.telemetry);
    this.queues = [...new Set(options.consumers.map((consumer) => consumer.queue))];
  }

  async onStream(records: readonly DynamoDBRecord[], invocation: Invocation): Promise<void> {
    const work = readStream(records, this.clock());
    if (work.timers.length > 0) {
      const arranged = await this.options.wakes.arrange(work.timers, this.clock());
      if (arranged.scheduled > 0) this.options.telemetry.metric('SchedulesCreated', arranged.scheduled);
      if (arranged.wokenNow > 0) this.options.telemetry.metric('ImmediateWakes', arranged.wokenNow);
    }
    await this.drainQueues([...work.readyQueues], invocation);
  }

  async onWake(minute: number, invocation: Invocation): Promise<void> {
    const { dispatched } = await deliverMinute({
      store: this.options.store,
      clock: this.clock,
      queues: this.queues,
      minute,
      dispatch: (queue) => this.drainQueues([queue], invocation),
      hasTime: () => invocation.remainingMs() > RESERVE_MS,
      pollMs: this.options.wakePollMs,
    });
    this.options.telemetry.info('wake', { minute: new Date(minute).toISOString(), dispatched });
  }

  /** A hand-over: drains the queue's consumers, waiting out its rate limit for up to RATE_DRAIN_MS. */
  async onDrain(queue: string, invocation: Invocation): Promise<void> {
    await this.drainQueues([queue], invocation, { waitForRate: true });
  }

  async onSweep(invocation: Invocation): Promise<void> {
    // First, so that what the firings publish is promoted and drained in this same sweep.
    await this.options.engine.runDueSchedules().then(
      ({ fired }) => {
        if (fired.length > 0) this.options.telemetry.metric('ScheduledMessages', fired.length);
      },
      (error: unknown) => {
        this.options.telemetry.metric('DispatchErrors', 1);
        this.options.telemetry.error('schedules failed', { error: describe(error) });
      },
    );
    // The due work failing (a throttled table) must not keep the consumers waiting as well.
    await this.options.engine.runDueWork().catch((error: unknown) => {
      this.options.telemetry.metric('DispatchErrors', 1);
      this.options.telemetry.error('due work failed', { error: describe(error) });
    });
    await this.drainQueues(this.queues, invocation);
    await Promise.all(
      this.queues.map((queue) =>
        this.reportQueue(queue).catch((error: unknown) =>
          this.options.telemetry.error('queue metrics failed', { queue, error: describe(error) }),
        ),
      ),
    );
  }

  /**
   * Drains every consumer of the queues; a failing consumer is reported and does not stop the
   * others. A queue whose drain ended held back by its rate limit is handed over.
   */
  private async drainQueues(
    queues: readonly string[],
    invocation: Invocation,
    { waitForRate = false } = {},
  ): Promise<void> {
    const limiter = new DynamoSlots(this.options.store, this.clock, () => invocation.remainingMs() + 1_000);
    const deps: DispatchDeps = {
      engine: this.options.engine,
      invoke: this.options.invoke,
      source: this.options.source,
      clock: this.clock,
      onBatch: this.onBatch,
    };
    const hasTimeFor = (consumer: Consumer) => invocation.remainingMs() > batchMs(consumer) + RESERVE_MS;
    const rateUntil = this.clock() + RATE_DRAIN_MS;
    // Waiting `ms` must leave the time a batch may take, within this invocation's rate budget.
    const mayWait = waitForRate
      ? (consumer: Consumer, ms: number) =>
          this.clock() + ms <= rateUntil && invocation.remainingMs() - ms > batchMs(consumer) + RESERVE_MS
      : undefined;
    const consumers = this.options.consumers.filter((consumer) => queues.includes(consumer.queue));
    const heldBack = new Set<string>();
    await Promise.all(
      consumers.map((consumer) =>
        drain(deps, consumer, { limiter, hasTimeFor, mayWait, sleep: this.options.sleep }).then(
          (result) => {
            const { heldBackMs } = result;
            if (heldBackMs === undefined || !freshDrainCouldWait(consumer, heldBackMs)) return;
            // A drain invocation that delivered nothing would only start another like it.
            if (waitForRate && result.batches === 0) return;
            heldBack.add(consumer.queue);
          },
          (error: unknown) => {
            this.options.telemetry.metric('DispatchErrors', 1);
            this.options.telemetry.error('drain failed', { queue: consumer.queue, error: describe(error) });
          },
        ),
      ),
    );
    await Promise.all([...heldBack].map((queue) => this.handOver(queue)));
  }

  /** Hands a queue held back by its rate limit to a drain invocation, while it has ready messages. */
  private async handOver(queue: string): Promise<void> {
    const { engine, telemetry, handOver } = this.options;
    if (!handOver) return;
    try {
      const ready = await engine.browse(queue, { state: 'ready', limit: 1 });
      if (ready.items.length === 0) return;
      await handOver(queue);
      telemetry.metric('RateHandOvers', 1);
      telemetry.info('rate hand-over', { queue });
    } catch (error) {
      telemetry.metric('DispatchErrors', 1);
      telemetry.error('rate hand-over failed', { queue, error: describe(error) });
    }
  }

  private async reportQueue(queue: string): Promise<void> {
    const { engine, telemetry } = this.options;
    const info = await engine.getQueue(queue);
    telemetry.queueMetric(queue, 'ReadyMessages', info.counts.ready);
    const head = await engine.browse(queue, { state: 'ready', limit: 1 });
    const oldest = head.items[0];
    telemetry.queueMetric(
      queue,
      'OldestMessageAgeSeconds',
      oldest ? Math.max(0, Math.round((this.clock() - oldest.deliverAt) / 1000)) : 0,
    );
    if (info.deadLetterQueue !== null) {
      const dead = await engine.getQueue(info.deadLetterQueue);
      telemetry.queueMetric(queue, 'DeadLetterMessages', dead.counts.total);
    }
  }
}

const describe = (error: unknown) =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);
