/**
 * A queue's rate limit: one token bucket in the store, shared by every API and dispatcher process
 * (pk = Q#<queue>, sk = #RATE). It is kept as a GCRA ("virtual scheduling") bucket: `tat`, the
 * time at which the bucket would be full again, and `per` and `cap`, the milliseconds per token
 * and the burst it was written with. At `now` the bucket holds
 * floor((now + cap·per − max(tat, now)) / per) tokens, so taking n tokens is one conditional
 * UpdateItem, without a read:
 *
 *   tat ≤ now (or none, or another limit)  SET tat = :now + n·per, per = :per, cap = :cap
 *                          IF attribute_not_exists(tat) OR tat <= :now OR per <> :per OR cap <> :cap
 *   tat > now              SET tat = tat + n·per
 *                          IF per = :per AND cap = :cap AND tat > :now AND tat <= :now + (cap − n)·per
 *
 * The second form commutes: competing takers all succeed while tokens last, and a taker whose
 * condition fails gets the current item back (ALL_OLD) and tries again with what is left. A
 * giveBack (tokens taken but not used) is `SET tat = tat − m·per IF per = :per AND cap = :cap`. A
 * change of the limit starts the bucket afresh (at most one burst more); removing the limit and
 * setting the same one again does not (the bucket is as it was left). The process remembers the last state it
 * saw: `tat` only grows, apart from give-backs, so when that state holds no token the receive
 * asks nothing of the store, and knows when the next token is due.
 */
import { UpdateItemCommand, type UpdateItemCommandOutput } from '@aws-sdk/client-dynamodb';
import { rateBucketKey } from '../keys';
import { classify, fromAttributes, type Store, toAttributes } from '../store';
import type { RateLimit } from '../types';

interface BucketState {
  tat: number;
  per: number;
  cap: number;
}

/** Milliseconds per token. */
export const periodOf = (limit: RateLimit) => 1000 / limit.perSecond;
/** Tokens that may be taken at once; by default one second's worth (at least 1). */
export const burstOf = (limit: RateLimit) => limit.burst ?? Math.max(1, Math.ceil(limit.perSecond));

// Float arithmetic: a token that is due to within a microsecond counts as there.
const SLACK_MS = 1e-3;

/** Tokens in the bucket at `now`, given its last known state. */
export function tokensAt(state: BucketState | undefined, limit: RateLimit, now: number): number {
  const per = periodOf(limit);
  const burst = burstOf(limit);
  if (!state || state.per !== per || state.cap !== burst || state.tat <= now) return burst;
  return Math.max(0, Math.min(burst, Math.floor((now + burst * per - state.tat + SLACK_MS) / per)));
}

/** When the next token is due (epoch ms), given the last known state. */
export function nextTokenAt(state: BucketState | undefined, limit: RateLimit, now: number): number {
  if (tokensAt(state, limit, now) > 0) return now;
  const per = periodOf(limit);
  return (state as BucketState).tat - burstOf(limit) * per + per;
}

/**
 * When the bucket holds `wanted` tokens (at most its burst; epoch ms, `now` when it does already),
 * given the last known state: it holds n at t once t ≥ tat − (cap − n)·per.
 */
export function tokensDueAt(
  state: BucketState | undefined,
  limit: RateLimit,
  wanted: number,
  now: number,
): number {
  const burst = burstOf(limit);
  const n = Math.max(1, Math.min(burst, Math.floor(wanted)));
  if (tokensAt(state, limit, now) >= n) return now;
  return (state as BucketState).tat - (burst - n) * periodOf(limit);
}

const MAX_ATTEMPTS = 8;

export class RateBuckets {
  /** The last state this process saw of each queue's bucket. */
  private readonly known = new Map<string, BucketState>();

  constructor(private readonly store: Store) {}

  /** Whether the bucket is empty at `now` as far as this process knows (no request). */
  emptyAt(queue: string, limit: RateLimit, now: number): boolean {
    return tokensAt(this.known.get(queue), limit, now) === 0;
  }

  /** When the next token is due as far as this process knows. */
  nextTokenAt(queue: string, limit: RateLimit, now: number): number {
    return nextTokenAt(this.known.get(queue), limit, now);
  }

  /** When the bucket holds `wanted` tokens (at most its burst) as far as this process knows. */
  tokensDueAt(queue: string, limit: RateLimit, wanted: number, now: number): number {
    return tokensDueAt(this.known.get(queue), limit, wanted, now);
  }

  /** Takes up to `wanted` tokens; answers how many it got (0 when the bucket is empty). */
  async take(queue: string, limit: RateLimit, wanted: number, now: number): Promise<number> {
    if (wanted <= 0) return 0;
    const per = periodOf(limit);
    const burst = burstOf(limit);
    let state = this.known.get(queue);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const n = Math.min(wanted, tokensAt(state, limit, now));
      if (n === 0) return 0;
      const fresh = !state || state.per !== per || state.cap !== burst || state.tat <= now;
      const update = fresh
        ? {
            UpdateExpression: 'SET #tat = :tat, #per = :per, #cap = :cap',
            ConditionExpression: 'attribute_not_exists(#tat) OR #tat <= :now OR #per <> :per OR #cap <> :cap',
            ExpressionAttributeValues: toAttributes({
              ':tat': now + n * per,
              ':per': per,
              ':cap': burst,
              ':now': now,
            }),
          }
        : {
            UpdateExpression: 'SET #tat = #tat + :add',
            ConditionExpression: '#per = :per AND #cap = :cap AND #tat > :now AND #tat <= :limit',
            ExpressionAttributeValues: toAttributes({
              ':add': n * per,
              ':per': per,
              ':cap': burst,
              ':now': now,
              ':limit': now + (burst - n) * per + SLACK_MS,
            }),
          };
      try {
        const output = await this.store.send<UpdateItemCommandOutput>(
          new UpdateItemCommand({
            TableName: this.store.tableName,
            Key: toAttributes(rateBucketKey(queue)),
            ...update,
            ExpressionAttributeNames: { '#tat': 'tat', '#per': 'per', '#cap': 'cap' },
            ReturnValues: 'ALL_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        this.remember(queue, fromAttributes(output.Attributes));
        return n;
      } catch (error) {
        const fault = classify(error);
        if (fault.kind !== 'condition') throw error;
        // Someone else took tokens meanwhile: try again with what the bucket holds now.
        state = this.remember(queue, fault.oldItem);
      }
    }
    return 0;
  }

  /** Returns tokens taken but not used (a claim lost its race), so they are not lost to the rate. */
  async giveBack(queue: string, limit: RateLimit, count: number): Promise<void> {
    if (count <= 0) return;
    const per = periodOf(limit);
    try {
      const output = await this.store.send<UpdateItemCommandOutput>(
        new UpdateItemCommand({
          TableName: this.store.tableName,
          Key: toAttributes(rateBucketKey(queue)),
          UpdateExpression: 'SET #tat = #tat - :sub',
          ConditionExpression: '#per = :per AND #cap = :cap',
          ExpressionAttributeNames: { '#tat': 'tat', '#per': 'per', '#cap': 'cap' },
          ExpressionAttributeValues: toAttributes({
            ':sub': count * per,
            ':per': per,
            ':cap': burstOf(limit),
          }),
          ReturnValues: 'ALL_NEW',
        }),
      );
      this.known.delete(queue);
      this.remember(queue, fromAttributes(output.Attributes));
    } catch (error) {
      // The rate changed meanwhile: the bucket started afresh, nothing to give back.
      if (classify(error).kind !== 'condition') throw error;
    }
  }

  private remember(queue: string, item: Record<string, unknown> | undefined): BucketState | undefined {
    if (typeof item?.tat !== 'number' || typeof item.per !== 'number' || typeof item.cap !== 'number') {
      this.known.delete(queue);
      return undefined;
    }
    const state = { tat: item.tat, per: item.per, cap: item.cap };
    this.known.set(queue, state);
    return state;
  }
}
