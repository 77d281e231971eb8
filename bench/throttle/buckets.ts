/**
 * One token bucket per partition and resource: `limit` write units a second, refilled
 * continuously, holding at most one second's worth (so a second's writes may come in a burst,
 * never more). A request is let through only if every partition it writes has the units it
 * needs; then all of them pay at once. A request larger than a whole second's worth (a
 * 25-item transaction under a limit of 40) goes through when its partitions' buckets are full,
 * and leaves them in debt, so that it is never starved and still costs what it costs.
 */
import type { Charge } from './write-plan';

interface Bucket {
  tokens: number;
  at: number;
}

export class PartitionBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limit: () => number,
    private readonly clock: () => number,
  ) {}

  private refill(label: string, now: number): Bucket {
    const limit = this.limit();
    const bucket = this.buckets.get(label) ?? { tokens: limit, at: now };
    bucket.tokens = Math.min(limit, bucket.tokens + ((now - bucket.at) * limit) / 1000);
    bucket.at = now;
    this.buckets.set(label, bucket);
    return bucket;
  }

  /** The charges that cannot be paid now (empty: every partition has its units). */
  shortOf(charges: Charge[]): Charge[] {
    const now = this.clock();
    const limit = this.limit();
    const needed = new Map<string, number>();
    for (const charge of charges)
      needed.set(charge.partition, (needed.get(charge.partition) ?? 0) + charge.units);
    return charges.filter((charge) => {
      const bucket = this.refill(charge.partition, now);
      const units = needed.get(charge.partition) ?? 0;
      return bucket.tokens < units && bucket.tokens < limit;
    });
  }

  pay(charges: Charge[]): void {
    const now = this.clock();
    for (const charge of charges) this.refill(charge.partition, now).tokens -= charge.units;
  }

  /** Gives back units charged for a write that did not change the index after all. */
  refund(charges: Charge[]): void {
    const now = this.clock();
    for (const charge of charges) {
      const bucket = this.refill(charge.partition, now);
      bucket.tokens = Math.min(this.limit(), bucket.tokens + charge.units);
    }
  }
}
