/**
 * When a failed call is tried again, and how long the client waits in between.
 *
 * Every call has a repeat class (see `Repeat`), chosen from what a second copy of the request
 * would do on the server:
 *
 * ```
 *                                  | 429 / 503 | not sent (refused, | outcome unknown (timeout,
 *                                  |  answers  |  DNS failure)      | reset, 502 / 504)
 * ---------------------------------+-----------+--------------------+---------------------------
 * idempotent (reads, PUT queue and |   retry   |       retry        |   retry
 *   topic, purge, pause, resume,   |           |                    |
 *   extend, PATCH,                 |           |                    |
 *   receive with manual ack,       |           |                    |
 *   publish with deduplicationId)  |           |                    |
 * settle (ack, release, deletes)   |   retry   |       retry        |   retry; "already gone" on
 *                                  |           |                    |   the retry counts as done
 * once (publish without            |   retry   |       retry        |   never: the error is
 *   deduplicationId, redrive,      |           |                    |   thrown, the caller decides
 *   receive with ack "auto")       |           |                    |
 * ```
 *
 * 429 and 503 answers mean the server stored nothing (QueueFull, ServiceUnavailable after its
 * own retries), so every call may repeat on them. Waits are "full jitter" exponential backoff
 * (a uniform random time up to `min(maxDelayMs, baseDelayMs * 2^attempt)`), and at least the
 * `Retry-After` the server sent.
 */
import type { PostboxError } from './errors';

/**
 * How a call may be repeated; see the table at the top of retry.ts.
 * - `idempotent`: a second copy changes nothing more than the first.
 * - `settle`: a second copy answers "already gone" (409 ReceiptExpired, 404 …NotFound) if the
 *   first one took effect; after an attempt whose outcome is unknown, that answer is success.
 * - `once`: a second copy would do the work twice; repeated only when the first surely did nothing.
 */
export type Repeat = 'idempotent' | 'settle' | 'once';

/**
 * Backoff settings of a client.
 *
 * @example
 * ```ts
 * new PostboxClient({ retry: { maxAttempts: 6, baseDelayMs: 200, maxDelayMs: 10_000 } });
 * ```
 */
export interface RetryOptions {
  /** Attempts in all, the first one included; 1 turns retries off. @default 4 */
  maxAttempts?: number;
  /** The first backoff's upper bound. @default 100 */
  baseDelayMs?: number;
  /** No backoff is longer than this (`Retry-After` aside). @default 5000 */
  maxDelayMs?: number;
  /** A `Retry-After` longer than this fails the call at once instead of waiting. @default 20 */
  maxRetryAfterSeconds?: number;
}

export const RETRY_DEFAULTS: Required<RetryOptions> = {
  maxAttempts: 4,
  baseDelayMs: 100,
  maxDelayMs: 5_000,
  maxRetryAfterSeconds: 20,
};

/** What became of one attempt that did not succeed. */
export type Failure =
  /** An error answer (PostboxError with a status). */
  | { kind: 'answer'; error: PostboxError }
  /** The request never left: connection refused, host not found. */
  | { kind: 'notSent'; error: PostboxError }
  /** The request may or may not have been acted on: timeout, reset, gateway 502/504. */
  | { kind: 'unknown'; error: PostboxError };

/** True when `failure` may be tried again by a call of class `repeat`. */
export function mayRetry(repeat: Repeat, failure: Failure): boolean {
  if (failure.kind === 'notSent') return true;
  if (failure.kind === 'unknown') return repeat !== 'once';
  return failure.error.status === 429 || failure.error.status === 503;
}

/** The wait before attempt `attempt + 1` (attempt counts from 1), or undefined: do not retry. */
export function backoffMs(
  attempt: number,
  error: PostboxError,
  options: Required<RetryOptions>,
  random: () => number = Math.random,
): number | undefined {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  const jitter = random() * ceiling;
  const retryAfter = error.retryAfterSeconds;
  if (retryAfter === undefined) return jitter;
  if (retryAfter > options.maxRetryAfterSeconds) return undefined;
  // At least what the server asked for; the jitter keeps many clients from returning together.
  return retryAfter * 1_000 + jitter;
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
