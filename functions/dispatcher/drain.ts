/**
 * Draining one consumer's queue inside one dispatcher invocation: batches are claimed and
 * processed until the queue has nothing for the consumer, the invocation runs short of time, or
 * the consumer's slots are all taken (then their holders keep draining).
 *
 * It starts with one worker and adds one each time a worker claims a full batch, up to
 * `concurrency`: a quiet queue costs one slot and one receive, a backlog fans out.
 *
 * A rate-limited queue (`rateLimit`) answers an empty claim both when it is empty and when its
 * bucket holds no token; the engine's known bucket state tells them apart, without a request
 * (`rateLimitWaitMs`). Held back by the rate, a worker keeps its slot and sleeps until a full
 * batch's tokens are due, then claims again, while `mayWait` allows; otherwise it ends and the
 * result says how long it would have waited (`heldBackMs`), so the caller can hand the backlog
 * over (dispatcher.ts). Keeping the
 * slot is what bounds the waiting: other invocations are turned away (and set `refused`) instead
 * of each waiting for the same tokens. A token found there just after an empty claim may have
 * come due meanwhile: the worker looks once more before it calls the queue empty.
 */
import { ServiceUnavailableError } from '../core/errors';
import { sleep } from '../core/store';
import type { DeliveredMessage } from '../core/types';
import type { Consumer } from './consumer';
import { claimBatch, type DispatchDeps, processBatch } from './dispatch';
import type { ConcurrencyLimiter } from './slots';

/** Throttled rounds in a row a worker waits out before it gives up (about 10 s of backoff in all). */
const MAX_UNAVAILABLE_IN_A_ROW = 8;
/** Full jitter, 100 ms doubling up to 2 s (the API's Retry-After is 1 s). */
const unavailableBackoffMs = (inARow: number) => Math.random() * Math.min(2_000, 100 * 2 ** inARow);

export interface DrainOptions {
  limiter: ConcurrencyLimiter;
  /** False once there is not enough time left to claim and process one more batch. */
  hasTimeFor: (consumer: Consumer) => boolean;
  /**
   * Whether a worker held back by the rate limit may wait `ms` for its tokens (and still have
   * time for the batch). @default - never: the drain ends, with `heldBackMs`
   */
  mayWait?: (consumer: Consumer, ms: number) => boolean;
  /** @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
}

export interface DrainResult {
  batches: number;
  messages: number;
  /**
   * It ended with the backlog held back by the queue's rate limit: the wait for a batch's tokens
   * it did not do (the last one, when several workers ended so).
   */
  heldBackMs?: number;
}

export async function drain(
  deps: DispatchDeps,
  consumer: Consumer,
  options: DrainOptions,
): Promise<DrainResult> {
  const result: DrainResult = { batches: 0, messages: 0 };
  const pause = options.sleep ?? sleep;
  const workers: Promise<void>[] = [];
  const spawn = () => {
    if (workers.length < consumer.concurrency) workers.push(work());
  };

  async function work(): Promise<void> {
    // The store throttling (503 from the engine once the SDK's retries are spent): back off and
    // go on while there is time, rather than leave the backlog to the next invocation.
    let unavailableInARow = 0;
    for (;;) {
      if (!options.hasTimeFor(consumer)) return;
      const slot = await options.limiter.acquire(consumer);
      if (!slot) return;
      let claimed = 0;
      let recheck = false;
      let throttled = false;
      try {
        const batch = await claimWithinRate();
        claimed = batch.length;
        if (claimed > 0) {
          if (claimed === consumer.batchSize) spawn();
          result.batches++;
          result.messages += claimed;
          await processBatch(deps, consumer, batch);
        }
        unavailableInARow = 0;
      } catch (error) {
        if (!(error instanceof ServiceUnavailableError) || ++unavailableInARow > MAX_UNAVAILABLE_IN_A_ROW)
          throw error;
        throttled = true;
      } finally {
        recheck = await slot.release();
      }
      if (throttled) {
        await sleep(unavailableBackoffMs(unavailableInARow));
        continue;
      }
      // Empty queue: done, unless another dispatcher was turned away meanwhile and counts on us.
      if (claimed === 0 && !recheck) return;
    }
  }

  /** A batch, waiting out the rate limit while allowed; empty when the queue is (or when not allowed). */
  async function claimWithinRate(): Promise<DeliveredMessage[]> {
    let lookedAgain = false;
    for (;;) {
      const batch = await claimBatch(deps.engine, consumer);
      if (batch.length > 0) return batch;
      const heldBackMs = await deps.engine.rateLimitWaitMs(consumer.queue, 1);
      if (heldBackMs === undefined) return batch; // no rate limit (or paused): empty
      if (heldBackMs === 0) {
        if (lookedAgain) return batch;
        lookedAgain = true;
        continue;
      }
      lookedAgain = false;
      const fullBatchMs =
        (await deps.engine.rateLimitWaitMs(consumer.queue, consumer.batchSize)) ?? heldBackMs;
      if (!options.mayWait?.(consumer, fullBatchMs)) {
        result.heldBackMs = fullBatchMs;
        return batch;
      }
      await pause(fullBatchMs);
    }
  }

  spawn();
  // Workers may be added while earlier ones run; every one is awaited before a failure is reported.
  const failures: unknown[] = [];
  for (let index = 0; index < workers.length; index++) {
    await workers[index]?.catch((error: unknown) => failures.push(error));
  }
  if (failures.length > 0) throw failures[0];
  return result;
}
