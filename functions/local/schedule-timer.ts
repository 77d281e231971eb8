/**
 * The local runtime's clock for recurring schedules, a due source for timers.ts: it sleeps until
 * the earliest next firing the store answered (`runDueSchedules` reports it after every run), so
 * a schedule fires within a few milliseconds of its time, and an idle server with no due schedule
 * sends one Query a minute (`pollMs`, for schedules defined by another process on the same table).
 * A schedule defined through this process wakes it at once if it comes first.
 */
import type { Clock, Engine } from '../core/engine';
import type { DueSource } from './timers';

export interface ScheduleTimerOptions {
  engine: Pick<Engine, 'runDueSchedules'>;
  /** @default Date.now */
  clock?: Clock;
  /** The store is asked again at least this often. @default 60000 */
  pollMs?: number;
  /** A firing runs this long after its time (setTimeout may fire a millisecond early). @default 2 */
  slackMs?: number;
}

export class ScheduleTimer implements DueSource {
  private readonly engine: ScheduleTimerOptions['engine'];
  private readonly clock: Clock;
  private readonly pollMs: number;
  private readonly slackMs: number;
  private readonly listeners = new Set<() => void>();
  /** The earliest firing known (from the store's answer or a definition here); run at once at start. */
  private nextDueAt: number;
  private nextPollAt: number;

  constructor(options: ScheduleTimerOptions) {
    this.engine = options.engine;
    this.clock = options.clock ?? Date.now;
    this.pollMs = options.pollMs ?? 60_000;
    this.slackMs = options.slackMs ?? 2;
    this.nextDueAt = this.clock();
    this.nextPollAt = this.nextDueAt;
  }

  nextWakeAt(): number {
    return Math.min(this.nextDueAt + this.slackMs, this.nextPollAt);
  }

  /** A schedule's next firing, learned outside a run (a PUT through this process). */
  noteFiring(at: number): void {
    const before = this.nextWakeAt();
    this.nextDueAt = Math.min(this.nextDueAt, at);
    if (this.nextWakeAt() < before) for (const listener of this.listeners) listener();
  }

  async runDue(): Promise<void> {
    const { nextDueAt } = await this.engine.runDueSchedules();
    this.nextPollAt = this.clock() + this.pollMs;
    this.nextDueAt = nextDueAt ?? Number.POSITIVE_INFINITY;
  }

  onEarlier(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
