/**
 * Message groups (fifo queues). Only a group's head is available to receives; the other members
 * wait outside the receive range (ask = W…), each with a pointer item W#<group>#<seq> so the next
 * head is found by one consistent query. A blocked group therefore costs a receive nothing.
 *
 *   join (publish, dead-letter, redrive):
 *     no group item → Put G#<group> {members: 1, head: id}  IF attribute_not_exists(members)
 *                     + the message as usual (ready or delayed)
 *     group exists  → Update G#<group> ADD members 1        IF attribute_exists(members)
 *                     + the message as waiting + its pointer
 *   leave (ack, cancel, dead-letter, retention):
 *     a waiting member → Delete its pointer, Update G ADD members -1  IF members > 1
 *     the head, next exists → Delete next pointer, next message becomes available (IF waiting),
 *                     Update G SET head = next ADD members -1  IF head = :id
 *     the head, alone → Delete G  IF head = :id AND members = 1
 * Each goes into the same transaction as the message write, so a group is never without a head
 * while it has members, and never has two.
 *
 * A group of a queue with groupLimits.maxInFlight k > 1 or a perSecond (group-quota.ts,
 * group-rate.ts) keeps `active` (members in the receive range) and `cap` instead of `head`, and
 * its members carry `quota`; the strict form above is untouched. Which form a group has is fixed
 * when it starts.
 */
import {
  GetItemCommand,
  type GetItemCommandOutput,
  QueryCommand,
  type QueryCommandOutput,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { joinQuotaGroup, leaveQuotaGroup, startQuotaGroup } from './group-quota';
import { type GroupRule, isQuotaRule } from './group-rate';
import {
  groupKey,
  MESSAGE_SK_PREFIX,
  readyKey,
  timerKey,
  waitingKey,
  waitingPrefix,
  waitingSortKey,
} from './keys';
import type { MessageItem } from './message-item';
import { fromAttributes, type Store, toAttributes } from './store';

export interface WaitingPointer {
  pk: string;
  sk: string;
  id: string;
  deliverAt: number;
  ok: string;
}

/** The message as a waiting member: counted and browsable (W range), never received. */
export function asWaiting(item: MessageItem): MessageItem {
  return { ...item, ask: waitingSortKey(item.deliverAt, item.ok), waiting: true };
}

/**
 * Transaction items that add `item` to its group; `item` may be returned changed (waiting).
 * `elsewhere`: the other shards' partitions where the group could live (shard-lookup.ts); a new
 * group checks it exists in none of them, so a group never lives in two shards.
 */
export async function joinGroup(
  store: Store,
  item: MessageItem,
  elsewhere: string[],
  rule: GroupRule,
  now: number,
): Promise<{ item: MessageItem; writes: TransactWriteItem[] }> {
  const groupId = item.grp as string;
  const key = groupKey(item.pk, groupId);
  const { Item } = await store.send<GetItemCommandOutput>(
    new GetItemCommand({ TableName: store.tableName, Key: toAttributes(key), ConsistentRead: true }),
  );
  const group = fromAttributes(Item);
  if (group && group.active !== undefined) return joinQuotaGroup(store, item, group, rule, now);
  if (!group) {
    const started = isQuotaRule(rule)
      ? startQuotaGroup(store, item, rule, now)
      : {
          item,
          write: {
            Put: {
              TableName: store.tableName,
              Item: toAttributes({ ...key, members: 1, head: item.id }),
              ConditionExpression: 'attribute_not_exists(#members)',
              ExpressionAttributeNames: { '#members': 'members' },
            },
          },
        };
    return {
      item: started.item,
      writes: [
        started.write,
        ...elsewhere.map((partition) => ({
          ConditionCheck: {
            TableName: store.tableName,
            Key: toAttributes(groupKey(partition, groupId)),
            ConditionExpression: 'attribute_not_exists(#members)',
            ExpressionAttributeNames: { '#members': 'members' },
          },
        })),
      ],
    };
  }
  const waiting = asWaiting(item);
  return {
    item: waiting,
    writes: [
      {
        Update: {
          TableName: store.tableName,
          Key: toAttributes(key),
          UpdateExpression: 'ADD #members :one',
          ConditionExpression: 'attribute_exists(#members)',
          ExpressionAttributeNames: { '#members': 'members' },
          ExpressionAttributeValues: toAttributes({ ':one': 1 }),
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

/**
 * A waiting member leaves: its `W#` entry goes and the member count drops, on condition that
 * someone stays who is not waiting (`stays`: the head of a strict group, the receivable members
 * of a group with a quota), so the group item is never left counting only waiting members.
 */
export function leaveWhileWaiting(
  store: Store,
  old: MessageItem,
  stays: { expression: string; names?: Record<string, string>; values?: Record<string, unknown> },
): TransactWriteItem[] {
  const groupId = old.grp as string;
  return [
    { Delete: { TableName: store.tableName, Key: toAttributes(waitingKey(old.pk, groupId, old.seq)) } },
    {
      Update: {
        TableName: store.tableName,
        Key: toAttributes(groupKey(old.pk, groupId)),
        UpdateExpression: 'ADD #members :minus',
        ConditionExpression: stays.expression,
        ExpressionAttributeNames: { '#members': 'members', ...stays.names },
        ExpressionAttributeValues: toAttributes({ ':minus': -1, ...stays.values }),
      },
    },
  ];
}

/** Transaction items that take `old` out of its group, handing the head on when it was the head. */
export async function leaveGroup(
  store: Store,
  old: MessageItem,
  now: number,
  rule?: GroupRule,
): Promise<TransactWriteItem[]> {
  if (old.quota) return leaveQuotaGroup(store, old, now, rule);
  const groupId = old.grp as string;
  const key = groupKey(old.pk, groupId);
  if (old.waiting)
    return leaveWhileWaiting(store, old, { expression: '#members > :one', values: { ':one': 1 } });
  const next = await nextWaiting(store, old.pk, groupId);
  if (!next) {
    return [
      {
        Delete: {
          TableName: store.tableName,
          Key: toAttributes(key),
          ConditionExpression: '#head = :id AND #members = :one',
          ExpressionAttributeNames: { '#head': 'head', '#members': 'members' },
          ExpressionAttributeValues: toAttributes({ ':id': old.id, ':one': 1 }),
        },
      },
    ];
  }
  return [
    ...promote(store, old.pk, next, now),
    {
      Update: {
        TableName: store.tableName,
        Key: toAttributes(key),
        UpdateExpression: 'SET #head = :next ADD #members :minus',
        ConditionExpression: '#head = :id',
        ExpressionAttributeNames: { '#head': 'head', '#members': 'members' },
        ExpressionAttributeValues: toAttributes({ ':next': next.id, ':id': old.id, ':minus': -1 }),
      },
    },
  ];
}

/**
 * The writes that move a waiting member into the receive range (ready, or delayed until due);
 * `start`: when a paced group lets it start (group-rate.ts), if later than its deliverAt.
 */
export function promote(
  store: Store,
  partition: string,
  next: WaitingPointer,
  now: number,
  start = next.deliverAt,
): TransactWriteItem[] {
  const at = Math.max(start, next.deliverAt);
  const due = at <= now;
  const moved = !due && at > next.deliverAt;
  return [
    {
      Delete: {
        TableName: store.tableName,
        Key: toAttributes({ pk: next.pk, sk: next.sk }),
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: { '#pk': 'pk' },
      },
    },
    {
      Update: {
        TableName: store.tableName,
        Key: toAttributes({ pk: partition, sk: `${MESSAGE_SK_PREFIX}${next.id}` }),
        UpdateExpression: `SET #ask = :ask, #state = :state${moved ? ', #deliverAt = :at, #pacedTo = :at' : ''} REMOVE #waiting`,
        ConditionExpression: '#waiting = :true',
        ExpressionAttributeNames: {
          '#ask': 'ask',
          '#state': 'state',
          '#waiting': 'waiting',
          ...(moved ? { '#deliverAt': 'deliverAt', '#pacedTo': 'pacedTo' } : {}),
        },
        ExpressionAttributeValues: toAttributes({
          ':ask': due ? readyKey(next.ok) : timerKey(at, next.ok),
          ':state': due ? 'ready' : 'delayed',
          ':true': true,
          ...(moved ? { ':at': at } : {}),
        }),
      },
    },
  ];
}

async function nextWaiting(
  store: Store,
  partition: string,
  groupId: string,
): Promise<WaitingPointer | undefined> {
  return (await oldestWaiting(store, partition, groupId, 1))[0];
}

/** The group's oldest `limit` waiting members, read consistently from their pointers. */
export async function oldestWaiting(
  store: Store,
  partition: string,
  groupId: string,
  limit: number,
): Promise<WaitingPointer[]> {
  const output = await store.send<QueryCommandOutput>(
    new QueryCommand({
      TableName: store.tableName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
      ExpressionAttributeValues: toAttributes({ ':pk': partition, ':prefix': waitingPrefix(groupId) }),
      ConsistentRead: true,
      Limit: limit,
    }),
  );
  return (output.Items ?? []).map((raw) => fromAttributes(raw) as unknown as WaitingPointer);
}

/**
 * The writes that add a new message to its queue: its group join (when it has a group) and the
 * Put of the message itself, which must not exist yet. Answers the message as written.
 * `rule`: the queue's groupLimits (group-rate.ts groupRule); `now`: the time of the write.
 */
export async function addMessage(
  store: Store,
  message: MessageItem,
  elsewhere: string[],
  rule: GroupRule,
  now: number,
) {
  const joined =
    message.grp === undefined
      ? { item: message, writes: [] }
      : await joinGroup(store, message, elsewhere, rule, now);
  const writes: TransactWriteItem[] = [
    ...joined.writes,
    {
      Put: {
        TableName: store.tableName,
        Item: toAttributes(joined.item),
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': 'pk' },
      },
    },
  ];
  return { item: joined.item, writes };
}
