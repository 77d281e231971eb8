/**
 * What a receive asks before it claims (the hooks in receive.ts, one place each):
 *
 *   blocked(meta, now)        paused, or the rate bucket known to be empty: the receive answers
 *                             nothing without reading the queue (O(1), no request)
 *   take(meta, wanted, now)   tokens for the claims it is about to make: as many as `wanted`
 *                             without a rateLimit (no request), else what the bucket gave
 *   giveBack(meta, unused)    tokens of claims that lost their race
 *   retryInMs(meta, now)      for long polls and consumers: when to look again (the next token)
 *
 * A receive claims at most the tokens it got, so no process delivers beyond the rate, and a
 * message that waits for a token is not claimed: its receiveCount does not change.
 */
import type { QueueMeta } from '../queue-meta';
import type { Store } from '../store';
import { isPaused } from './pause';
import { RateBuckets } from './rate-bucket';

export class FlowControl {
  private readonly buckets: RateBuckets;

  constructor(store: Store) {
    this.buckets = new RateBuckets(store);
  }

  blocked(meta: QueueMeta, now: number): boolean {
    if (isPaused(meta)) return true;
    return meta.rateLimit != null && this.buckets.emptyAt(meta.name, meta.rateLimit, now);
  }

  take(meta: QueueMeta, wanted: number, now: number): Promise<number> {
    if (meta.rateLimit == null) return Promise.resolve(wanted);
    return this.buckets.take(meta.name, meta.rateLimit, wanted, now);
  }

  giveBack(meta: QueueMeta, unused: number): Promise<void> {
    if (meta.rateLimit == null) return Promise.resolve();
    return this.buckets.giveBack(meta.name, meta.rateLimit, unused);
  }

  /** How long until a token is due when the bucket is empty; undefined when not rate-limited now. */
  retryInMs(meta: QueueMeta, now: number): number | undefined {
    if (meta.rateLimit == null || isPaused(meta) || !this.buckets.emptyAt(meta.name, meta.rateLimit, now))
      return undefined;
    return Math.max(1, this.buckets.nextTokenAt(meta.name, meta.rateLimit, now) - now);
  }
}
