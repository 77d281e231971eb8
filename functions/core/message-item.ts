/**
 * The message item as stored, and the views the engine hands out. State that depends on time
 * (a due delayed message, an expired lease) is derived here from the stored state and `now`,
 * so readers never wait for the timed work to have run.
 */
import { messageKey, orderKey, readyKey, timerKey } from './keys';
import type { Item } from './store';
import type { DeadLetterInfo, DeliveredMessage, MessageState, MessageView, QueueOrder } from './types';

export interface MessageItem {
  pk: string;
  sk: string;
  apk: string;
  ask: string;
  id: string;
  seq: number;
  /** Order key (priority, then publish order): the message's place among ready ones, for life. */
  ok: string;
  /** The body as compact JSON text: stored verbatim, never interpreted by the store. */
  body: string;
  /**
   * The attributes as JSON text. Stored as text, not as a DynamoDB map, because attribute names
   * are the user's: a map would mishandle a key such as `__proto__`.
   */
  attrs: string;
  prio: number;
  grp?: string;
  publishedAt: number;
  deliverAt: number;
  receiveCount: number;
  state: MessageState;
  /** Token of the lease that a receipt holds; kept after expiry until the next receive. */
  lease?: string;
  leaseExpiresAt?: number;
  /** After this, a message that no receipt holds is gone (retention). */
  retainUntil: number;
  /** The group a message had before it moved into a lifo queue (which has no groups). */
  groupLabel?: string;
  /** A group member waiting behind its group's head (see groups.ts). */
  waiting?: boolean;
  /** A member of a group with a maxInFlight above 1 or a perSecond (group-quota.ts), not of a strict one. */
  quota?: boolean;
  /** The start its group's pace gave it, when that was later than its own due time (group-rate.ts). */
  pacedTo?: number;
  /** Counted in the bounded queue's #SIZE item: its removal must decrement that counter. */
  counted?: boolean;
  deadLetter?: DeadLetterInfo;
  /** Epoch seconds for DynamoDB TTL: clean-up only, always later than any use of the item. */
  ttl: number;
}

/** DynamoDB TTL deletes late; this margin only makes sure it never deletes early. */
const TTL_MARGIN_SECONDS = 24 * 3600;
export const ttlFor = (...times: number[]) => Math.ceil(Math.max(...times) / 1000) + TTL_MARGIN_SECONDS;

export interface NewMessage {
  queue: string;
  inc: string;
  order: QueueOrder;
  id: string;
  seq: number;
  body: string;
  attributes: Record<string, string>;
  priority: number;
  groupId?: string;
  publishedAt: number;
  deliverAt: number;
  retentionSeconds: number;
  counted: boolean;
  /** The shard of a sharded queue it goes to (shards.ts); 0 by default. */
  shard?: number;
}

export function newMessageItem(message: NewMessage): MessageItem {
  const key = messageKey(message.queue, message.inc, message.id, message.shard ?? 0);
  const position = orderKey(message.order, message.priority, message.seq);
  const delayed = message.deliverAt > message.publishedAt;
  const retainUntil = message.deliverAt + message.retentionSeconds * 1000;
  return {
    ...key,
    apk: key.pk,
    ask: delayed ? timerKey(message.deliverAt, position) : readyKey(position),
    id: message.id,
    seq: message.seq,
    ok: position,
    body: message.body,
    attrs: JSON.stringify(message.attributes),
    prio: message.priority,
    ...(message.groupId === undefined ? {} : { grp: message.groupId }),
    publishedAt: message.publishedAt,
    deliverAt: message.deliverAt,
    receiveCount: 0,
    state: delayed ? 'delayed' : 'ready',
    retainUntil,
    ...(message.counted ? { counted: true } : {}),
    ttl: ttlFor(retainUntil),
  };
}

export const asMessageItem = (item: Item) => item as unknown as MessageItem;

/** The state a reader sees at `now`: due timers are ready without anyone having moved them. */
export function effectiveState(item: MessageItem, now: number): MessageState {
  if (item.state === 'delayed' && item.deliverAt <= now) return 'ready';
  if (item.state === 'inFlight' && (item.leaseExpiresAt ?? 0) <= now) return 'ready';
  return item.state;
}

/** Gone by retention: past its time and not held by a live lease. */
export function isExpired(item: MessageItem, now: number): boolean {
  return item.retainUntil <= now && effectiveState(item, now) !== 'inFlight';
}

export const attributesOf = (item: MessageItem): Record<string, string> =>
  item.attrs ? (JSON.parse(item.attrs) as Record<string, string>) : {};

export function toDelivered(item: MessageItem, receipt?: string): DeliveredMessage {
  return {
    id: item.id,
    body: JSON.parse(item.body),
    ...(receipt === undefined ? {} : { receipt }),
    receiveCount: item.receiveCount,
    publishedAt: item.publishedAt,
    deliverAt: item.deliverAt,
    priority: item.prio,
    groupId: item.grp ?? item.groupLabel ?? null,
    deadLetter: item.deadLetter ?? null,
    attributes: attributesOf(item),
  };
}

export function toView(item: MessageItem, now: number): MessageView {
  const state = effectiveState(item, now);
  const { receipt: _receipt, ...delivered } = toDelivered(item);
  return {
    ...delivered,
    state,
    leaseExpiresAt: state === 'inFlight' ? (item.leaseExpiresAt ?? null) : null,
  };
}
