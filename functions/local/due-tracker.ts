/**
 * Which queues need their timed work, and when: the local runtime's replacement for sweeping
 * every queue four times a second. Receives never depend on the timed work (they read due
 * timers by time), so this is about promptness and tidiness at a small, constant request cost:
 *
 * - **Due times this process learns for free.** The engine the server uses is wrapped
 *   (tracked-engine.ts): a delayed publish, a lease, a release with delay, an extend, a
 *   reschedule notes its queue's due time here. At that time the queue runs alone
 *   (`engine.runQueueDueWork`), which promotes what is due (and wakes waiting receives and local
 *   consumers at once) and answers the queue's next timer in the store, noted in turn.
 * - **A paced sweep for what it cannot learn**: timers written by other processes on the same table,
 *   leases left by a process that died, retention and deduplication clean-up. One queue at a
 *   time, cursoring through the registry: at start-up quickly and without the clean-up (every
 *   queue's next timer becomes known), then one queue every `sweepSpacingMs` (or every queue about
 *   every `sweepCycleMs` when there are few), with the clean-up. Its request rate does not depend on
 *   the number of queues.
 *
 * Not reentrant: the timer (timers.ts) calls `runDue` again only after it settled.
 */
import type { Clock, Engine } from '../core/engine';
import type { Queue } from '../core/types';
import { DueSchedule } from './due-schedule';

/** The parts of a queue's configuration that decide due times the engine does not answer. */
export type TimingConfig = Pick<Queue, 'visibilityTimeoutSeconds' | 'delaySeconds'>;

export interface DueTrackerOptions {
  engine: Pick<Engine, 'runQueueDueWork' | 'listQueues'>;
  /** @default Date.now */
  clock?: Clock;
  /** A queue runs this long after its due time (timer keys are ms; a timer may fire a ms early). @default 5 */
  slackMs?: number;
  /** At most one queue of the sweep this often. @default 5000 */
  sweepSpacingMs?: number;
  /** Each queue swept about this often while the spacing allows it. @default 60000 */
  sweepCycleMs?: number;
  /** Pause between queues of the start-up pass. @default 20 */
  startupSpacingMs?: number;
  /** A queue that still has due timers after a run runs again after this, doubling while it stays so. @default 50 */
  backlogRetryMs?: number;
  /** A queue whose run failed runs again after this. @default 1000 */
  failureRetryMs?: number;
  /** Registry page size of the sweep. @default 100 */
  pageSize?: number;
  /** Told when the start-up pass is over. @default console.log */
  log?: (line: string) => void;
}

export class DueTracker {
  private readonly engine: DueTrackerOptions['engine'];
  private readonly clock: Clock;
  private readonly slackMs: number;
  private readonly sweepSpacingMs: number;
  private readonly sweepCycleMs: number;
  private readonly startupSpacingMs: number;
  private readonly backlogRetryMs: number;
  private readonly failureRetryMs: number;
  private readonly pageSize: number;
  private readonly log: (line: string) => void;
  private readonly startedAt: number;

  private readonly schedule = new DueSchedule();
  private readonly configs = new Map<string, TimingConfig>();
  private readonly backlogRuns = new Map<string, number>();
  private readonly listeners = new Set<() => void>();

  /** The sweep's position: queues of the current registry page still to visit, and the next page. */
  private page: string[] = [];
  private cursor: string | undefined;
  private pageLoaded = false;
  /** Queues in the last complete pass over the registry; undefined until the start-up pass ends. */
  private knownQueues: number | undefined;
  private seenThisPass = 0;
  private nextSweepAt: number;
  private configRefresh: Promise<void> | undefined;
  private lastConfigRefresh = Number.NEGATIVE_INFINITY;

  constructor(options: DueTrackerOptions) {
    this.engine = options.engine;
    this.clock = options.clock ?? Date.now;
    this.slackMs = options.slackMs ?? 5;
    this.sweepSpacingMs = options.sweepSpacingMs ?? 5_000;
    this.sweepCycleMs = options.sweepCycleMs ?? 60_000;
    this.startupSpacingMs = options.startupSpacingMs ?? 20;
    this.backlogRetryMs = options.backlogRetryMs ?? 50;
    this.failureRetryMs = options.failureRetryMs ?? 1_000;
    this.pageSize = options.pageSize ?? 100;
    this.log = options.log ?? ((line: string) => console.log(line));
    this.nextSweepAt = this.clock();
    this.startedAt = this.nextSweepAt;
  }

  /** A timer of `queue` comes due at `at` or later. */
  note(queue: string, at: number): void {
    const before = this.nextWakeAt();
    this.schedule.note(queue, at);
    this.changed(before);
  }

  /** `queue` must run at `at` even if it runs before (a delayed group member behind its head). */
  keep(queue: string, at: number): void {
    const before = this.nextWakeAt();
    this.schedule.keep(queue, at);
    this.changed(before);
  }

  /** The queue was purged here, or deleted. */
  forget(queue: string, deleted = false): void {
    if (deleted) this.configs.delete(queue);
    this.schedule.forget(queue);
    this.backlogRuns.delete(queue);
  }

  /** What this process knows of a queue's timing configuration (written or read here, or swept). */
  configOf(queue: string): TimingConfig | undefined {
    return this.configs.get(queue);
  }

  learnConfig(queue: Pick<Queue, 'name' | 'visibilityTimeoutSeconds' | 'delaySeconds'>): void {
    this.configs.set(queue.name, {
      visibilityTimeoutSeconds: queue.visibilityTimeoutSeconds,
      delaySeconds: queue.delaySeconds,
    });
  }

  /**
   * A queue this process has not seen the configuration of (created by another process since the
   * last pass): read the registry again, at most every `sweepCycleMs / 6`, in the background.
   */
  refreshConfigs(): void {
    const now = this.clock();
    if (this.configRefresh || now - this.lastConfigRefresh < this.sweepCycleMs / 6) return;
    this.lastConfigRefresh = now;
    this.configRefresh = (async () => {
      let cursor: string | undefined;
      do {
        const page = await this.engine.listQueues({ limit: this.pageSize, cursor });
        for (const queue of page.items) this.learnConfig(queue);
        cursor = page.cursor ?? undefined;
      } while (cursor);
    })()
      .catch(() => undefined)
      .finally(() => {
        this.configRefresh = undefined;
      });
  }

  /** When `runDue` next has something to do (epoch ms; may be in the past). */
  nextWakeAt(): number {
    const due = this.schedule.nextAt();
    return Math.min(due === undefined ? Number.POSITIVE_INFINITY : due + this.slackMs, this.nextSweepAt);
  }

  /** Called whenever `nextWakeAt` moves earlier (a sleeping timer must wake sooner). */
  onEarlier(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Runs every queue that is due, then the sweep's next step if its time has come. */
  async runDue(): Promise<void> {
    let failure: unknown;
    const now = this.clock();
    for (const queue of this.schedule.takeDue(now)) {
      await this.runQueue(queue, false).catch((error: unknown) => {
        failure ??= error;
      });
    }
    if (this.clock() >= this.nextSweepAt) {
      await this.sweepStep().catch((error: unknown) => {
        failure ??= error;
      });
    }
    if (failure !== undefined) throw failure;
  }

  /** True once every queue of the registry has been run once (the start-up pass). */
  get startupPassDone(): boolean {
    return this.knownQueues !== undefined;
  }

  private async runQueue(queue: string, tidy: boolean): Promise<void> {
    this.schedule.begin(queue);
    let nextDueAt: number | null;
    try {
      ({ nextDueAt } = await this.engine.runQueueDueWork(queue, { tidy }));
    } catch (error) {
      this.schedule.note(queue, this.clock() + this.failureRetryMs);
      throw error;
    }
    const now = this.clock();
    if (nextDueAt === null) {
      this.backlogRuns.delete(queue);
    } else if (nextDueAt > now) {
      this.backlogRuns.delete(queue);
      this.schedule.note(queue, nextDueAt);
    } else {
      // More due than one run takes, or an entry the index has not caught up on: soon, then
      // less and less often, so a timer that cannot be moved does not become a busy loop.
      const runs = this.backlogRuns.get(queue) ?? 0;
      this.backlogRuns.set(queue, runs + 1);
      this.schedule.note(queue, now + Math.min(this.sweepSpacingMs, this.backlogRetryMs * 2 ** runs));
    }
  }

  /** One queue of the sweep, loading the next registry page when the current one is used up. */
  private async sweepStep(): Promise<void> {
    const startup = this.knownQueues === undefined;
    const now = this.clock();
    this.nextSweepAt = now + (startup ? this.startupSpacingMs : this.sweepSpacing());
    if (this.page.length === 0) {
      if (this.pageLoaded && this.cursor === undefined) {
        // A pass is complete: start the next one from the top.
        if (startup) {
          const seconds = ((now - this.startedAt) / 1000).toFixed(1);
          this.log(`Timed work: checked ${this.seenThisPass} queues for due messages in ${seconds} s`);
        }
        this.knownQueues = this.seenThisPass;
        this.seenThisPass = 0;
        this.pageLoaded = false;
        this.nextSweepAt = now + this.sweepSpacing();
        return;
      }
      const page = await this.engine.listQueues({ limit: this.pageSize, cursor: this.cursor });
      this.pageLoaded = true;
      this.cursor = page.cursor ?? undefined;
      for (const queue of page.items) this.learnConfig(queue);
      this.page = page.items.map((queue) => queue.name);
      this.seenThisPass += this.page.length;
    }
    const queue = this.page.shift();
    if (queue !== undefined) await this.runQueue(queue, !startup);
  }

  /** Queues known here: the last pass's, and those created or read since. */
  private sweepSpacing(): number {
    const queues = Math.max(1, this.knownQueues ?? 0, this.configs.size);
    return Math.max(this.sweepSpacingMs, this.sweepCycleMs / queues);
  }

  private changed(before: number): void {
    if (this.nextWakeAt() >= before) return;
    for (const listener of this.listeners) listener();
  }
}
