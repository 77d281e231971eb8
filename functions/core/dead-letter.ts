/**
 * Dead-lettering and redrive: moving a message to another queue in one transaction, so it is
 * never lost and never in both queues.
 *
 *   move   UpdateItem target #META ADD seq 1                     (its place: last in the target;
 *                                                                  a sharded target: placement.ts)
 *          TransactWrite [Delete source IF <condition>]          (remove.ts: counter, group hand-over)
 *                        [Put target message IF attribute_not_exists(pk)]
 *                        [group join in the target]  [#SIZE ADD 1 when the target is bounded]
 *
 * The target takes the message even when it is full (the contract says so for dead letters and
 * redrive): its counter moves without a bound condition.
 */
import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { QueueNotFoundError } from './errors';
import { groupRule } from './group-rate';
import { addMessage } from './groups';
import { queueOfPartition } from './keys';
import type { MessageItem } from './message-item';
import { place } from './placement';
import type { QueueMetaCache } from './queue-meta';
import { type Condition, removeMessage } from './remove';
import type { Signals } from './signals';
import { sizeAdd } from './size';
import type { Store } from './store';
import { movedItem } from './transition-params';
import type { DeadLetterInfo } from './types';

export interface Move {
  /** The message as last seen in its current queue. */
  old: MessageItem;
  /** Must still hold for the source message at the time of the move. */
  condition: Condition;
  target: string;
  /** Set: the message arrives as a dead letter. Null: it arrives as a fresh message (redrive). */
  deadLetter: DeadLetterInfo | null;
  now: number;
}

export async function moveMessage(
  store: Store,
  metas: QueueMetaCache,
  signals: Signals,
  move: Move,
): Promise<boolean> {
  const removal = await removeMessage(store, move.old, move.condition, {
    now: move.now,
    along: async (current) => {
      // Its place in the target: last in the shard it goes to (its group's, in a sharded target).
      const target = await place(store, metas, move.target, current.grp ?? current.groupLabel, 1);
      let item = movedItem(current, { ...target.meta, seq: target.seq }, move, target.shard);
      const added = await addMessage(store, item, target.elsewhere, groupRule(target.meta), move.now);
      item = added.item;
      const writes: TransactWriteItem[] = [...added.writes];
      if (item.counted) writes.push(sizeAdd(store.tableName, item.pk, 1));
      return writes;
    },
  });
  if (removal.removed) {
    signals.notify(`available:${move.target}`);
    if (removal.old.counted) signals.notify(`room:${queueOfPartition(move.old.pk) ?? ''}`);
  }
  return removal.removed;
}

/** A message as a reader last saw it: where it was (`ask`) and how often it had been received. */
export interface Seen {
  pk: string;
  sk: string;
  ask: string;
  receiveCount?: number;
}

/** The condition "still exactly where it was seen": the move loses to any change in between. */
export const stillAsSeen = (seen: Seen): Condition => ({
  expression: '#ask = :seen',
  names: { '#ask': 'ask' },
  values: { ':seen': seen.ask },
});

/**
 * The end of the last allowed lease, in one place: a message whose receives are used up goes to
 * the queue's dead-letter queue instead of being delivered again, whatever range it is in (ready,
 * a due delay, an ended lease). Receives, the timed work and reschedule call this; a release that
 * fails its `receiveCount < max` condition moves through it with the receipt's condition.
 *
 * Answers 'fresh' when the message is not exhausted (the caller carries on with it), 'moved',
 * 'lost' when it changed before the move (the condition failed; it is not the caller's either
 * way), or 'no-target' when the dead-letter queue does not exist (a reference left dangling by
 * data from before deletes checked references atomically): the caller treats the queue as having
 * no dead-letter queue, so the message is delivered again rather than stuck.
 */
export type DeadLetterOutcome = 'fresh' | 'moved' | 'lost' | 'no-target';

export async function deadLetterIfExhausted(
  store: Store,
  metas: QueueMetaCache,
  signals: Signals,
  meta: DeadLetterConfig & { name: string },
  seen: Seen,
  now: number,
  condition: Condition = stillAsSeen(seen),
): Promise<DeadLetterOutcome> {
  if (!isExhausted(meta, seen)) return 'fresh';
  const target = meta.deadLetterQueue as string;
  try {
    const moved = await moveMessage(store, metas, signals, {
      old: seen as MessageItem,
      condition,
      target,
      deadLetter: { sourceQueue: meta.name, receiveCount: seen.receiveCount ?? 0, reason: 'maxReceiveCount' },
      now,
    });
    return moved ? 'moved' : 'lost';
  } catch (error) {
    if (error instanceof QueueNotFoundError && error.queue === target) return 'no-target';
    throw error;
  }
}

/** The configuration without its dead-letter queue: for a queue whose dead-letter queue is gone. */
export const withoutDeadLetterQueue = <T extends DeadLetterConfig>(meta: T): T => ({
  ...meta,
  deadLetterQueue: null,
  maxReceiveCount: null,
});

interface DeadLetterConfig {
  maxReceiveCount: number | null;
  deadLetterQueue: string | null;
}

/** Whether the queue dead-letters at all (a dead-letter queue and a maxReceiveCount). */
export const isExhaustible = (meta: DeadLetterConfig) =>
  meta.deadLetterQueue !== null && meta.maxReceiveCount !== null;

/** Whether a message whose lease has ended must go to the dead-letter queue instead of back. */
export function isExhausted(meta: DeadLetterConfig, item: { receiveCount?: number }) {
  return (
    meta.deadLetterQueue !== null &&
    meta.maxReceiveCount !== null &&
    (item.receiveCount ?? 0) >= meta.maxReceiveCount
  );
}
