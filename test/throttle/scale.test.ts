/**
 * The scale bench's order and loss checks at a small size (bench/scale.ts): one queue behind the
 * partition-throttle simulator at a limit that throttles it, producers and consumers on the
 * engine. Every publish that succeeded is received and acked exactly once, and every message
 * group's members arrive in publish order. Parameterized by shards (more once the engine has them).
 */
import { describe, expect, inject, it } from 'vitest';
import { runScale } from '../../bench/scale';

const SHARDS = [1, 4];

describe.each(SHARDS)('one queue at %i shard(s) under the partition limit', (shards) => {
  it('loses, duplicates and reorders nothing while the store throttles', async () => {
    const result = await runScale({
      endpoint: inject('dynamoEndpoint'),
      shards,
      writeUnitsPerSecond: 5,
      windowMs: 4_000,
      drainMs: 30_000,
      producers: 4,
      consumers: 4,
      maxMessages: 24,
    });
    expect(result.published).toBeGreaterThan(0);
    expect(result.throttledRequests).toBeGreaterThan(0);
    expect(result.acked).toBe(result.published);
    expect(result.lost).toBe(0);
    expect(result.duplicated).toBe(0);
    expect(result.groupOrderViolations).toBe(0);
  }, 90_000);
});
