/**
 * Message groups with `groupLimits.maxInFlight` k > 1 or a `perSecond` (then k may be 1): up to
 * `cap` members of a group are in the receive range at once (ready, delayed or in flight), the
 * group's oldest; the others wait as in a strict group (groups.ts: ask = W…, pointer
 * W#<group>#<seq>). The group item keeps `members`,
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
 *
 * With groupLimits.perSecond (group-rate.ts) the same steps also carry the group's pace: start,
 * join with room and each promotion SET tat (the next start) and per, on condition that `tat` is
 * as read (IF attribute_not_exists(tat) OR tat = :seen); a member that may not start yet is stored
 * delayed until its start. The last member's leave keeps the item while `tat` is ahead
 * (Update SET members 0, active 0, ttl instead of the Delete), and a join REMOVEs that ttl.
 */
import { GetItemCommand, type GetItemCommandOutput, type TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { emptiedTtl, type GroupRule, startingAt, startOf } from './group-rate';
import { leaveWhileWaiting, oldestWaiting, promote } from './groups';
import { groupKey, waitingKey, waitingSortKey } from './keys';
import type { MessageItem } from './message-item';
import { fromAttributes, type Store, toAttributes } from './store';

interface QuotaGroup {
  members: number;
  active: number;
  cap?: number;
  /** Paced groups (group-rate.ts): the next start, ms per start. */
  tat?: number;
  per?: number;
}

const NAMES = { '#members': 'members', '#active': 'active', '#cap': 'cap' };

/** The put of a new group's item; the message is receivable as usual (from its start, if paced). */
export function startQuotaGroup(store: Store, item: MessageItem, rule: GroupRule, now: number) {
  const start = startOf(undefined, item.deliverAt, now);
  const pace = rule.per === undefined ? {} : { tat: start + rule.per, per: rule.per };
  return {
    item: { ...(rule.per === undefined ? item : startingAt(item, start, now)), quota: true },
    write: {
      Put: {
        TableName: store.tableName,
        Item: toAttributes({
          ...groupKey(item.pk, item.grp as string),
          members: 1,
          active: 1,
          cap: rule.cap,
          ...pace,
        }),
        ConditionExpression: 'attribute_not_exists(#members)',
        ExpressionAttributeNames: { '#members': 'members' },
      },
    } satisfies TransactWriteItem,
  };
}

interface Pacing {
  set: string;
  remove: string;
  condition: string;
  names: Record<string, string>;
  values: Record<string, unknown>;
}

/**
 * The pace part of an update that lets members start: SET tat and per (REMOVE per when the
 * queue is no longer paced, and an emptied group's ttl), IF tat is as read. For a group that
 * was never paced, on a queue that is not, only the condition that it still was not.
 */
function pacing(group: QuotaGroup, rule: GroupRule, tat: number | undefined): Pacing {
  const seen = group.tat;
  if (rule.per === undefined && seen === undefined && group.per === undefined) {
    // Never paced, as read: the condition keeps it so (a process that still sees the queue
    // unpaced must not join a paced group that has emptied without removing its ttl).
    return {
      set: '',
      remove: '',
      condition: ' AND attribute_not_exists(#tat)',
      names: { '#tat': 'tat' },
      values: {},
    };
  }
  const paced = rule.per !== undefined && tat !== undefined;
  return {
    set: paced ? ', #tat = :tat, #per = :per' : '',
    remove: paced ? ' REMOVE #ttl' : ' REMOVE #per, #ttl',
    condition: seen === undefined ? ' AND attribute_not_exists(#tat)' : ' AND #tat = :seenTat',
    names: { '#tat': 'tat', '#per': 'per', '#ttl': 'ttl' },
    values: {
      ...(paced ? { ':tat': tat, ':per': rule.per } : {}),
      ...(seen === undefined ? {} : { ':seenTat': seen }),
    },
  };
}

/** Joins a group of this form: receivable when no one waits and a slot is free, else waiting. */
export function joinQuotaGroup(
  store: Store,
  item: MessageItem,
  seen: Record<string, unknown>,
  rule: GroupRule,
  now: number,
): { item: MessageItem; writes: TransactWriteItem[] } {
  const group = seen as unknown as QuotaGroup;
  const cap = rule.cap;
  const groupId = item.grp as string;
  const key = toAttributes(groupKey(item.pk, groupId));
  if (group.members === group.active && group.active < cap) {
    const start = startOf(group.tat, item.deliverAt, now);
    const pace = pacing(group, rule, rule.per === undefined ? undefined : start + rule.per);
    return {
      item: { ...(rule.per === undefined ? item : startingAt(item, start, now)), quota: true },
      writes: [
        {
          Update: {
            TableName: store.tableName,
            Key: key,
            UpdateExpression: `SET #cap = :cap${pace.set} ADD #members :one, #active :one${pace.remove}`,
            ConditionExpression: `#members = #active AND #active < :cap${pace.condition}`,
            ExpressionAttributeNames: { ...NAMES, ...pace.names },
            ExpressionAttributeValues: toAttributes({ ':one': 1, ':cap': cap, ...pace.values }),
          },
        },
      ],
    };
  }
  // Waits: the pace is taken when it is promoted. Only `per` follows the queue's configuration.
  const per: Omit<Pacing, 'condition'> =
    rule.per !== undefined
      ? { set: ', #per = :per', remove: '', names: { '#per': 'per' }, values: { ':per': rule.per } }
      : group.per !== undefined
        ? { set: '', remove: ' REMOVE #per', names: { '#per': 'per' }, values: {} }
        : { set: '', remove: '', names: {}, values: {} };
  return {
    item: { ...item, quota: true, ask: waitingSortKey(item.deliverAt, item.ok), waiting: true },
    writes: [
      {
        Update: {
          TableName: store.tableName,
          Key: key,
          UpdateExpression: `SET #cap = :cap${per.set} ADD #members :one${per.remove}`,
          ConditionExpression: '#members > #active OR #active >= :cap',
          ExpressionAttributeNames: { ...NAMES, ...per.names },
          ExpressionAttributeValues: toAttributes({ ':one': 1, ':cap': cap, ...per.values }),
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
  rule?: GroupRule,
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
    const condition = {
      ConditionExpression: '#members = :one AND #active = :one',
      ExpressionAttributeNames: { '#members': 'members', '#active': 'active' },
    };
    // A paced group emptied before its next start keeps its item, so a member right after waits.
    if (group?.tat !== undefined && group.tat > now) {
      return [
        {
          Update: {
            TableName: store.tableName,
            Key: toAttributes(key),
            UpdateExpression: 'SET #members = :zero, #active = :zero, #ttl = :ttl',
            ...condition,
            ExpressionAttributeNames: { ...condition.ExpressionAttributeNames, '#ttl': 'ttl' },
            ExpressionAttributeValues: toAttributes({ ':one': 1, ':zero': 0, ':ttl': emptiedTtl(group.tat) }),
          },
        },
      ];
    }
    return [
      {
        Delete: {
          TableName: store.tableName,
          Key: toAttributes(key),
          ...condition,
          ExpressionAttributeValues: toAttributes({ ':one': 1 }),
        },
      },
    ];
  }
  const slots = Math.max(0, (group?.cap ?? 1) - (active - 1));
  const wanted = Math.min(members - active, slots);
  const next = wanted > 0 ? await oldestWaiting(store, old.pk, groupId, wanted) : [];
  const promoted = next.length;
  // A paced group: each promoted member starts one period after the one before it. The queue's
  // configuration, when the caller knows it, wins over the pace the group item holds.
  const per = rule ? rule.per : group?.per;
  const perChanged = rule !== undefined && group !== undefined && rule.per !== group.per;
  let tat = group?.tat;
  const writes = next.flatMap((pointer) => {
    if (per === undefined) return promote(store, old.pk, pointer, now);
    const start = startOf(tat, pointer.deliverAt, now);
    tat = start + per;
    return promote(store, old.pk, pointer, now, start);
  });
  const paced = per !== undefined && promoted > 0;
  const seenTat = group?.tat;
  const setPer = paced && perChanged;
  const removePer = !paced && perChanged && rule?.per === undefined;
  return [
    ...writes,
    {
      Update: {
        TableName: store.tableName,
        Key: toAttributes(key),
        UpdateExpression: `${paced ? `SET #tat = :tat${setPer ? ', #per = :per' : ''} ` : ''}ADD #members :minus, #active :change${removePer ? ' REMOVE #per' : ''}`,
        ConditionExpression: `#active = :active AND #members >= :need${
          paced ? (seenTat === undefined ? ' AND attribute_not_exists(#tat)' : ' AND #tat = :seenTat') : ''
        }`,
        ExpressionAttributeNames: {
          '#members': 'members',
          '#active': 'active',
          ...(paced ? { '#tat': 'tat' } : {}),
          ...(setPer || removePer ? { '#per': 'per' } : {}),
        },
        ExpressionAttributeValues: toAttributes({
          ':minus': -1,
          ':change': promoted - 1,
          ':active': active,
          ':need': Math.max(active + promoted, 2),
          ...(paced ? { ':tat': tat } : {}),
          ...(setPer ? { ':per': per } : {}),
          ...(paced && seenTat !== undefined ? { ':seenTat': seenTat } : {}),
        }),
      },
    },
  ];
}
