/**
 * What each local consumer is doing, for `GET /v1/consumers` (and so the console): the runner
 * (consumers.ts) reports batches and failed receives here; nothing here touches the store.
 */
import type { ConsumerStatus } from '../api/routes/operations';
import type { Clock } from '../core/engine';
import type { Consumer } from '../dispatcher/consumer';
import type { BatchReport } from '../dispatcher/dispatch';

interface Entry extends ConsumerStatus {
  /** The latest batch failed, in part or whole (a good batch clears it). */
  batchFailing: boolean;
  /** The latest receive failed (one that answers clears it). */
  receiveFailing: boolean;
  /** Epoch ms: when the receive under way started (a long poll answers only when a message comes). */
  receivingSince: number | null;
}

/** A receive under way this long after a failed one has not failed: what failed is back. */
const RECEIVE_HEALTHY_MS = 1_000;

export class ConsumerStatusBoard {
  private readonly entries: Entry[];
  private stopped = false;

  constructor(
    consumers: Consumer[],
    private readonly clock: Clock = Date.now,
  ) {
    this.entries = consumers.map((consumer) => ({
      queue: consumer.queue,
      handler: consumer.handler,
      batchSize: consumer.batchSize,
      concurrency: consumer.concurrency,
      visibilityTimeoutSeconds: consumer.visibilityTimeoutSeconds,
      state: 'idle',
      batchesInFlight: 0,
      handled: 0,
      failed: 0,
      lastBatchAt: null,
      lastError: null,
      batchFailing: false,
      receiveFailing: false,
      receivingSince: null,
    }));
  }

  /** A batch went to the handler. */
  batchStarted(index: number): void {
    const entry = this.entries[index];
    if (!entry) return;
    entry.batchesInFlight++;
    entry.lastBatchAt = this.clock();
  }

  /** A batch was settled (acked and released as the handler said); no report when settling threw. */
  batchDone(index: number, report: BatchReport | undefined): void {
    const entry = this.entries[index];
    if (!entry) return;
    entry.batchesInFlight = Math.max(0, entry.batchesInFlight - 1);
    if (!report) return;
    entry.handled += report.acked;
    entry.failed += report.failed;
    entry.batchFailing = report.outcome !== 'ok';
    if (report.outcome !== 'ok') {
      entry.lastError = {
        at: this.clock(),
        message: report.error ?? `${report.failed} of ${report.messageIds.length} messages failed`,
      };
    }
  }

  /** A receive (a long poll) starts. */
  receiveStarted(index: number): void {
    const entry = this.entries[index];
    if (entry) entry.receivingSince = this.clock();
  }

  /** A receive failed (the queue is missing, the store is away): the runner retries. */
  receiveFailed(index: number, error: Error): void {
    const entry = this.entries[index];
    if (!entry) return;
    entry.receiveFailing = true;
    entry.receivingSince = null;
    entry.lastError = { at: this.clock(), message: `${error.name}: ${error.message}` };
  }

  /** A receive answered: the store and the queue are there again. */
  receiveWorked(index: number): void {
    const entry = this.entries[index];
    if (!entry) return;
    entry.receiveFailing = false;
    entry.receivingSince = null;
  }

  stop(): void {
    this.stopped = true;
  }

  list(): ConsumerStatus[] {
    const now = this.clock();
    return this.entries.map(({ batchFailing, receiveFailing, receivingSince, ...entry }) => {
      const receiving = receivingSince !== null && now - receivingSince >= RECEIVE_HEALTHY_MS;
      return {
        ...entry,
        lastError: entry.lastError && { ...entry.lastError },
        state: this.stopped
          ? 'stopped'
          : entry.batchesInFlight > 0
            ? 'running'
            : batchFailing || (receiveFailing && !receiving)
              ? 'failing'
              : 'idle',
      };
    });
  }
}
