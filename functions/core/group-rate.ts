/**
 * groupLimits.perSecond: the starts of each message group are paced by a GCRA bucket of burst 1
 * kept on the group's own item (G#<group>): `tat`, the earliest time (epoch ms) the group's next
 * member may start, and `per`, the milliseconds per start (1000 / perSecond, as the group's last
 * publisher saw it). A paced group always has the form of group-quota.ts (with cap 1 when the
 * queue has no maxInFlight), and `tat` moves only in the transactions that make a member
 * receivable there (start, join with room, promotion on leave), on condition that it is still as
 * read, so two processes never start two members in one period.
 *
 * A member that may not start yet is stored as a delayed message due at its start
 * (ask = T<start><order>, deliverAt = start): receives skip it at no cost until then, and it is
 * not counted as a receive. A redelivery (release, ended lease) is not paced again: it keeps the
 * slot it started with. A group emptied before its `tat` keeps its item (members 0, active 0,
 * with a `ttl`), so a member right after still waits its turn.
 */
import { timerKey } from './keys';
import type { MessageItem } from './message-item';
import type { QueueConfig } from './types';

/** What a group of the queue is held to: members in the receive range at once, ms per start. */
export interface GroupRule {
  cap: number;
  per?: number;
}

export const groupRule = (config: Pick<QueueConfig, 'groupLimits'>): GroupRule => {
  const perSecond = config.groupLimits?.perSecond;
  return {
    cap: config.groupLimits?.maxInFlight ?? 1,
    ...(perSecond === undefined ? {} : { per: 1000 / perSecond }),
  };
};

/** Whether the groups of this rule keep `active` and `cap` (group-quota.ts) rather than a head. */
export const isQuotaRule = (rule: GroupRule) => rule.cap > 1 || rule.per !== undefined;

/** When a member due at `deliverAt` may start in a group whose next start is `tat`. */
export const startOf = (tat: number | undefined, deliverAt: number, now: number) =>
  Math.max(now, deliverAt, tat ?? Number.NEGATIVE_INFINITY);

/** The member as it is stored to start at `start`: ready when that is now, else a delayed timer. */
export function startingAt(item: MessageItem, start: number, now: number): MessageItem {
  const due = start <= now;
  if (due || start <= item.deliverAt) return item;
  // `pacedTo` keeps a reschedule from moving it before its start.
  return { ...item, deliverAt: start, ask: timerKey(start, item.ok), state: 'delayed', pacedTo: start };
}

/** The earliest a reschedule may move a member to: not before the start its pace gave it. */
export const earliestReschedule = (item: MessageItem, now: number) => Math.max(now, item.pacedTo ?? now);

/** Seconds-since-epoch expiry of an emptied group's item: a while after its `tat` is past. */
export const emptiedTtl = (tat: number) => Math.ceil(tat / 1000) + 3600;
