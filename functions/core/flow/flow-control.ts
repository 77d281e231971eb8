/**
 * What a receive asks before it claims (the hooks in receive.ts, one place each):
 *
 *   admit(meta, now, wanted, find)   paused, or the rate bucket known to be empty: undefined at
 *                                    once (O(1), no request, the queue is not read). Else `find`
 *                                    (the receive's query) runs, then tokens are taken for
 *                                    min(wanted, candidates found): all of them without a
 *                                    rateLimit (no request), else what the bucket gives (one
 *                                    UpdateItem; none when nothing was found).
 *   giveBack(meta, unused)           tokens of claims that lost their race
 *   retryInMs(meta, now)             for long polls and consumers: when to look again
 *   waitMs(meta, now, tokens)        for the dispatcher: how long until the bucket holds `tokens`
 *                                    (at most its burst), so a drain sleeps until a full batch is
 *                                    due instead of claiming one message a token
 *
 * A receive claims at most the tokens it got, so no process delivers beyond the rate, and a
 * message that waits for a token is not claimed: its receiveCount does not change.
 *
 * Competing consumers in one process: while one receive of a rate-limited queue is finding and
 * taking, the others wait for its answer and then look at the bucket it saw; when that is empty
 * they answer at once. So a process pays about one query and one bucket request per token
 * interval, not one per consumer; when tokens are left, the waiters go on together.
 */
import type { QueueMeta } from '../queue-meta';
import type { Store } from '../store';
import { isPaused } from './pause';
import { RateBuckets } from './rate-bucket';

export class FlowControl {
  private readonly buckets: RateBuckets;
  /** The find-and-take under way in this process, per rate-limited queue. */
  private readonly admitting = new Map<string, Promise<unknown>>();

  constructor(store: Store) {
    this.buckets = new RateBuckets(store);
  }

  async admit<T extends { candidates: unknown[] }>(
    meta: QueueMeta,
    now: number,
    wanted: number,
    find: () => Promise<T>,
  ): Promise<{ found: T; granted: number } | undefined> {
    if (isPaused(meta)) return undefined;
    const limit = meta.rateLimit;
    if (limit == null) {
      const found = await find();
      return { found, granted: Math.min(wanted, found.candidates.length) };
    }
    const pending = this.admitting.get(meta.name);
    if (pending) await pending.catch(() => undefined);
    if (this.buckets.emptyAt(meta.name, limit, now)) return undefined;
    const admitting = (async () => {
      const found = await find();
      const granted = await this.buckets.take(
        meta.name,
        limit,
        Math.min(wanted, found.candidates.length),
        now,
      );
      return { found, granted };
    })();
    this.admitting.set(meta.name, admitting);
    try {
      return await admitting;
    } finally {
      if (this.admitting.get(meta.name) === admitting) this.admitting.delete(meta.name);
    }
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

  /**
   * Milliseconds until the bucket holds `tokens` (at most its burst) as far as this process
   * knows (no request): 0 when it does now; undefined when the queue has no rate limit or is
   * paused (no token makes it deliver then). The known state only lags the store's (other
   * processes take tokens too), so the answer is never later than the truth: a claim at that
   * time gets the tokens, or learns the bucket's newer state and is told to wait again.
   */
  waitMs(meta: QueueMeta, now: number, tokens: number): number | undefined {
    if (meta.rateLimit == null || isPaused(meta)) return undefined;
    return Math.max(0, this.buckets.tokensDueAt(meta.name, meta.rateLimit, tokens, now) - now);
  }
}
