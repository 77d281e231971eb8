/**
 * The fine stage of the two-stage timer (docs/deploy.md, "Delays and lease ends"): woken (by a schedule, or at once) for a
 * minute, the dispatcher delivers each timer of that minute at its second. It looks up the
 * earliest timer of each consumer queue, sleeps until it is due, drains that queue's consumers,
 * and looks again, at least every `pollMs`, so timers written after the wake-up began (a message
 * delayed by 30 s, a lease taken meanwhile) are not missed. It ends once the minute is over and
 * nothing in it is left.
 */
import type { Clock } from '../core/engine';
import type { Store } from '../core/store';
import { MINUTE_MS } from './schedules';
import { nextTimer, partitionsOf } from './timers';

export interface WakeOptions {
  store: Store;
  clock: Clock;
  /** Consumer queues to watch. */
  queues: readonly string[];
  /** The minute's start (epoch ms); the wake-up covers timers due until its end. */
  minute: number;
  /** Delivers what is due on a queue now (drains its consumers). */
  dispatch: (queue: string) => Promise<void>;
  /** False when the invocation must stop. */
  hasTime: () => boolean;
  /** Longest sleep between two looks. @default 1000 */
  pollMs?: number;
  /** @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
}

export async function deliverMinute(options: WakeOptions): Promise<{ dispatched: number }> {
  const { store, clock, minute } = options;
  const pollMs = options.pollMs ?? 1_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const windowEnd = minute + MINUTE_MS - 1;
  const partitions = new Map<string, string[]>();
  for (const queue of options.queues) {
    const shards = await partitionsOf(store, queue);
    if (shards) partitions.set(queue, shards);
  }
  // Per queue, timers due up to here have been offered to its consumers already.
  const handledUpTo = new Map([...partitions.keys()].map((queue) => [queue, Number.NEGATIVE_INFINITY]));
  let dispatched = 0;

  while (options.hasTime()) {
    const now = clock();
    const next = await Promise.all(
      [...partitions].map(async ([queue, shards]) => {
        // A sharded queue: its earliest timer in any shard.
        const dues = await Promise.all(
          shards.map((partition) => nextTimer(store, partition, handledUpTo.get(queue) as number, windowEnd)),
        );
        const found = dues.filter((due) => due !== undefined);
        return { queue, due: found.length > 0 ? Math.min(...found) : undefined };
      }),
    );
    const due = next.filter((entry) => entry.due !== undefined && entry.due <= now);
    if (due.length > 0) {
      await Promise.all(
        due.map(async ({ queue }) => {
          handledUpTo.set(queue, now);
          await options.dispatch(queue);
          dispatched++;
        }),
      );
      continue;
    }
    const soonest = Math.min(...next.flatMap((entry) => (entry.due === undefined ? [] : [entry.due])));
    if (!Number.isFinite(soonest) && now > windowEnd) break;
    await sleep(Math.max(1, Math.min(soonest - now, pollMs, windowEnd + 1 - now)));
  }
  return { dispatched };
}
