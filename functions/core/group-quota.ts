/**
 * Message groups with `groupLimits.maxInFlight` k > 1: up to `cap` members of a group are in the
 * receive range at once (ready, delayed or in flight), the group's oldest; the others wait as in
 * a strict group (groups.ts: ask = W…, pointer W#<group>#<seq>). The group item keeps `members`,
 * `active` (members in the receive range) and `cap` (the limit as its last publisher saw it);
 * every member carries `quota`, so its removal knows the group's form without a read.
 *
 *   start        Put G# {members 1, active 1, cap k}                IF attribute_not_exists(members)
 *   join, room   Update G# ADD members 1, active 1 SET cap = k      IF members = active AND active < k
 *                (no one waits and a slot is free: the message is receivable as usual)
 *   join, full   Update G# ADD members 1 SET cap = k + pointer      IF members > active OR active >= k
 *   leave, waiting member   Delete pointer, Update G# ADD members -1 IF members > active
 *   leave, active member    GetItem G# (consistent); Query the oldest p pointers, where
 *                p = min(waiting, cap − (active − 1)); promote them; Update G# ADD members -1,
 *                active p − 1  IF active = :a AND members >= max(:a + p, 2)
 *                (the last member: Delete G# IF members = 1 AND active = 1)
 * All in the message's own transaction; a failed condition makes the caller plan again. Delivery
 * therefore starts in group order (a publish never overtakes a waiting member), and a group never
 * has more than its cap in the receive range unless the cap was lowered (then no one is promoted
 * until the group is under the new cap).
 */
import { GetItemCommand, type GetItemCommandOutput, type TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { leaveWhileWaiting, oldestWaiting, promote } from './groups';
import { groupKey, waitingKey, waitingSortKey } from './keys';
import type { MessageItem } from './message-item';
import { fromAttributes, type Store, toAttributes } from './store';
import type { QueueConfig } from './types';

/** Members of one group the queue lets be in the receive range at once; 1: strict (groups.ts). */
export const groupCap = (config: Pick<QueueConfig, 'groupLimits'>): number =>
  config.groupLimits?.maxInFlight ?? 1;

interface QuotaGroup {
  members: number;
  active: number;
  cap?: number;
}

const NAMES = { '#members': 'members', '#active': 'active', '#cap': 'cap' };

/** The put of a new group's item; the message is receivable as usual. */
export function startQuotaGroup(store: Store, item: MessageItem, cap: number) {
  return {
    item: { ...item, quota: true },
    write: {
      Put: {
        TableName: store.tableName,
        Item: toAttributes({ ...groupKey(item.pk, item.grp as string), members: 1, active: 1, cap }),
        ConditionExpression: 'attribute_not_exists(#members)',
        ExpressionAttributeNames: { '#members': 'members' },
      },
    } satisfies TransactWriteItem,
  };
}

/** Joins a group of this form: receivable when no one waits and a slot is free, else waiting. */
export function joinQuotaGroup(
  store: Store,
  item: MessageItem,
  seen: Record<string, unknown>,
  cap: number,
): { item: MessageItem; writes: TransactWriteItem[] } {
  const group = seen as unknown as QuotaGroup;
  const groupId = item.grp as string;
  const key = toAttributes(groupKey(item.pk, groupId));
  if (group.members === group.active && group.active < cap) {
    return {
      item: { ...item, quota: true },
      writes: [
        {
          Update: {
            TableName: store.tableName,
            Key: key,
            UpdateExpression: 'SET #cap = :cap ADD #members :one, #active :one',
            ConditionExpression: '#members = #active AND #active < :cap',
            ExpressionAttributeNames: NAMES,
            ExpressionAttributeValues: toAttributes({ ':one': 1, ':cap': cap }),
          },
        },
      ],
    };
  }
  return {
    item: { ...item, quota: true, ask: waitingSortKey(item.deliverAt, item.ok), waiting: true },
    writes: [
      {
        Update: {
          TableName: store.tableName,
          Key: key,
          UpdateExpression: 'SET #cap = :cap ADD #members :one',
          ConditionExpression: '#members > #active OR #active >= :cap',
          ExpressionAttributeNames: NAMES,
          ExpressionAttributeValues: toAttributes({ ':one': 1, ':cap': cap }),
        },
      },
      {
        Put: {
          TableName: store.tableName,
          Item: toAttributes({
            ...waitingKey(item.pk, groupId, item.seq),
            id: item.id,
            deliverAt: item.deliverAt,
            ok: item.ok,
          }),
        },
      },
    ],
  };
}

/** Transaction items that take `old` out of its group, promoting the oldest waiting into free slots. */
export async function leaveQuotaGroup(
  store: Store,
  old: MessageItem,
  now: number,
): Promise<TransactWriteItem[]> {
  const groupId = old.grp as string;
  const key = groupKey(old.pk, groupId);
  if (old.waiting) {
    return leaveWhileWaiting(store, old, {
      expression: '#members > #active',
      names: { '#active': 'active' },
    });
  }
  const { Item } = await store.send<GetItemCommandOutput>(
    new GetItemCommand({ TableName: store.tableName, Key: toAttributes(key), ConsistentRead: true }),
  );
  const group = fromAttributes(Item) as unknown as QuotaGroup | undefined;
  // Gone or changed form: a condition that cannot hold, so the removal is planned again.
  const active = group?.active ?? 0;
  const members = group?.members ?? 0;
  if (members <= 1) {
    return [
      {
        Delete: {
          TableName: store.tableName,
          Key: toAttributes(key),
          ConditionExpression: '#members = :one AND #active = :one',
          ExpressionAttributeNames: { '#members': 'members', '#active': 'active' },
          ExpressionAttributeValues: toAttributes({ ':one': 1 }),
        },
      },
    ];
  }
  const slots = Math.max(0, (group?.cap ?? 1) - (active - 1));
  const wanted = Math.min(members - active, slots);
  const next = wanted > 0 ? await oldestWaiting(store, old.pk, groupId, wanted) : [];
  const promoted = next.length;
  return [
    ...next.flatMap((pointer) => promote(store, old.pk, pointer, now)),
    {
      Update: {
        TableName: store.tableName,
        Key: toAttributes(key),
        UpdateExpression: 'ADD #members :minus, #active :change',
        ConditionExpression: '#active = :active AND #members >= :need',
        ExpressionAttributeNames: { '#members': 'members', '#active': 'active' },
        ExpressionAttributeValues: toAttributes({
          ':minus': -1,
          ':change': promoted - 1,
          ':active': active,
          ':need': Math.max(active + promoted, 2),
        }),
      },
    },
  ];
}
