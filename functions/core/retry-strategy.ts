/**
 * The AWS SDK retry strategy for Postbox's DynamoDB clients: the SDK's standard strategy, except
 * that a throttled request (ProvisionedThroughputExceeded, ThrottlingException, a transaction
 * cancelled for throttling) is retried without drawing on the client's retry quota.
 *
 * Why: the standard quota (500 tokens, 5 per throttling retry, refilled by successes) is one per
 * client, shared by every partition the client writes. DynamoDB throttles per partition, so on a
 * sharded queue one busy shard's throttles used up the retries of every other shard: from then
 * on each throttle became a 503, and the caller's retry of the whole receive or publish cost more
 * requests than the SDK's retry of the one request would have (docs/performance.md, "Sharded
 * queues"). Throttling retries stay bounded: at most `maxAttempts` attempts a request, with full
 * jitter backoff from 1 s doubling up to 20 s (the SDK's own throttling backoff), honouring a
 * Retry-After hint. Everything else (timeouts, 5xx, connection errors) goes to the standard
 * strategy unchanged, quota included, so a store that is down still meets the circuit breaker.
 */
import { StandardRetryStrategy } from '@smithy/core/retry';
import type { RetryErrorInfo, RetryStrategyV2, StandardRetryToken } from '@smithy/types';

/** The SDK's defaults for throttling backoff (util-retry's constants). */
const THROTTLING_DELAY_BASE_MS = 1_000;
const MAXIMUM_DELAY_MS = 20_000;
/** How far past the computed backoff a Retry-After hint may push a retry (as the SDK does). */
const RETRY_AFTER_SLACK_MS = 5_000;

export interface PartitionThrottleRetryOptions {
  /** Attempts per request, the first included (the SDK's default is 3). */
  maxAttempts?: number;
  /** Waits between attempts; injected by tests. */
  sleep?: (ms: number) => Promise<void>;
  /** A number in [0, 1) for the jitter; injected by tests. */
  random?: () => number;
}

/** A retry token of the same shape as the SDK's, so either strategy can renew or settle it. */
class ThrottleRetryToken implements StandardRetryToken {
  readonly $retryLog: { acquisitionDelay?: number };

  /** `waited`: the backoff already slept in the refresh (the SDK's middleware logs it, no more). */
  constructor(
    private readonly count: number,
    waited: number,
    private readonly longPoll: boolean,
  ) {
    this.$retryLog = { acquisitionDelay: waited };
  }

  getRetryCount = () => this.count;
  /** Nothing more to wait: the refresh has slept already, as the SDK's own strategy does. */
  getRetryDelay = () => 0;
  /** No quota was drawn: a success after it refills the quota as an ordinary success does. */
  getRetryCost = () => undefined;
  isLongPoll = () => this.longPoll;
}

export class PartitionThrottleRetryStrategy implements RetryStrategyV2 {
  readonly mode = 'standard';
  private readonly standard: StandardRetryStrategy;
  private readonly maxAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(options: PartitionThrottleRetryOptions = {}) {
    this.maxAttempts = options.maxAttempts ?? 3;
    this.standard = new StandardRetryStrategy(this.maxAttempts);
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
  }

  acquireInitialRetryToken(scope: string) {
    return this.standard.acquireInitialRetryToken(scope);
  }

  async refreshRetryTokenForRetry(token: StandardRetryToken, errorInfo: RetryErrorInfo) {
    if (errorInfo.errorType !== 'THROTTLING')
      return this.standard.refreshRetryTokenForRetry(token, errorInfo);
    const count = token.getRetryCount();
    if (count + 1 >= this.maxAttempts) throw new Error('No retry token available');
    const backoff = Math.floor(
      this.random() * Math.min(THROTTLING_DELAY_BASE_MS * 2 ** count, MAXIMUM_DELAY_MS),
    );
    let delay = backoff;
    if (errorInfo.retryAfterHint instanceof Date) {
      const hinted = errorInfo.retryAfterHint.getTime() - Date.now();
      delay = Math.max(backoff, Math.min(hinted, backoff + RETRY_AFTER_SLACK_MS));
    }
    await this.sleep(delay);
    return new ThrottleRetryToken(count + 1, delay, token.isLongPoll?.() ?? false);
  }

  recordSuccess(token: StandardRetryToken): void {
    this.standard.recordSuccess(token);
  }
}
