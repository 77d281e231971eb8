/**
 * Pure request builders for the transitions of a message (claim, promote, release, extend,
 * remove, and the item a dead-letter move or redrive puts; the `…Params()` + thin send shape): the exact expressions are asserted in
 * test/core/transition-params.test.ts, and docs/data-model.md's table names the same ones.
 */
import type {
  DeleteItemCommandInput,
  TransactWriteItem,
  UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { isExhaustible } from './dead-letter';
import { orderKeyOf, readyKey, timerKey } from './keys';
import { attributesOf, type MessageItem, newMessageItem, ttlFor } from './message-item';
import type { QueueMeta } from './queue-meta';
import type { Condition } from './remove';
import { type Key, toAttributes } from './store';
import type { DeadLetterInfo } from './types';

export interface ClaimLease {
  /** The candidate as the index showed it. */
  seen: { pk: string; sk: string; ask: string };
  meta: { maxReceiveCount: number | null; deadLetterQueue: string | null };
  token: string;
  now: number;
  leaseExpiresAt: number;
}

/**
 * claim: UpdateItem SET inFlight, lease, leaseExpiresAt, ask = T<end><ok>, ttl ADD receiveCount 1
 * IF ask = :seen AND retainUntil > :now [AND receiveCount < :max on a queue with a dead-letter queue]
 */
export function claimLeaseParams(tableName: string, claim: ClaimLease): UpdateItemCommandInput {
  const { seen, meta, token, now, leaseExpiresAt } = claim;
  const exhaustible = isExhaustible(meta);
  return {
    TableName: tableName,
    Key: toAttributes({ pk: seen.pk, sk: seen.sk }),
    UpdateExpression:
      'SET #state = :inFlight, #lease = :token, #leaseExpiresAt = :end, #ask = :lease, #ttl = :ttl ADD #receiveCount :one',
    ConditionExpression: `#ask = :seen AND #retainUntil > :now${exhaustible ? ' AND #receiveCount < :max' : ''}`,
    ExpressionAttributeNames: {
      '#state': 'state',
      '#lease': 'lease',
      '#leaseExpiresAt': 'leaseExpiresAt',
      '#ask': 'ask',
      '#ttl': 'ttl',
      '#receiveCount': 'receiveCount',
      '#retainUntil': 'retainUntil',
    },
    ExpressionAttributeValues: toAttributes({
      ':inFlight': 'inFlight',
      ':token': token,
      ':end': leaseExpiresAt,
      ':lease': timerKey(leaseExpiresAt, orderKeyOf(seen.ask)),
      ':ttl': ttlFor(leaseExpiresAt),
      ':one': 1,
      ':seen': seen.ask,
      ':now': now,
      ...(exhaustible ? { ':max': meta.maxReceiveCount } : {}),
    }),
    ReturnValues: 'ALL_NEW',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/**
 * promote (timed work): UpdateItem SET state = ready, ask = R<ok> [REMOVE leaseExpiresAt] IF ask = :seen.
 * An ended lease keeps its token: its receipt still holds until the next receive.
 */
export function promoteParams(
  tableName: string,
  seen: { pk: string; sk: string; ask: string },
  expiredLease: boolean,
): UpdateItemCommandInput {
  return {
    TableName: tableName,
    Key: toAttributes({ pk: seen.pk, sk: seen.sk }),
    UpdateExpression: `SET #state = :ready, #ask = :ready_key${expiredLease ? ' REMOVE #leaseExpiresAt' : ''}`,
    ConditionExpression: '#ask = :seen',
    ExpressionAttributeNames: {
      '#state': 'state',
      '#ask': 'ask',
      ...(expiredLease ? { '#leaseExpiresAt': 'leaseExpiresAt' } : {}),
    },
    ExpressionAttributeValues: toAttributes({
      ':ready': 'ready',
      ':ready_key': readyKey(orderKeyOf(seen.ask)),
      ':seen': seen.ask,
    }),
  };
}

/** What a receipt names: the message's key, its lease token and the order key it was given. */
export interface HeldLease {
  key: { pk: string; sk: string };
  token: string;
  orderKey: string;
}

const HELD = '#lease = :token AND #ok = :ok';

/**
 * release: UpdateItem SET state = ready, ask = R<ok> (or delayed, ask = T<due><ok>, deliverAt)
 * REMOVE lease, leaseExpiresAt IF lease = :token AND ok = :ok [AND receiveCount < :max on a
 * queue that dead-letters: when only that part fails, the message is moved instead].
 */
export function releaseParams(
  tableName: string,
  held: HeldLease,
  release: { dueAt: number | null; maxReceiveCount: number | null },
): UpdateItemCommandInput {
  const { dueAt, maxReceiveCount } = release;
  const delayed = dueAt !== null;
  const exhaustible = maxReceiveCount !== null;
  return {
    TableName: tableName,
    Key: toAttributes(held.key),
    UpdateExpression: delayed
      ? 'SET #state = :delayed, #ask = :ask, #deliverAt = :due REMOVE #lease, #leaseExpiresAt'
      : 'SET #state = :ready, #ask = :ask REMOVE #lease, #leaseExpiresAt',
    ConditionExpression: exhaustible ? `${HELD} AND #receiveCount < :max` : HELD,
    ExpressionAttributeNames: {
      '#state': 'state',
      '#ask': 'ask',
      '#leaseExpiresAt': 'leaseExpiresAt',
      ...(delayed ? { '#deliverAt': 'deliverAt' } : {}),
      '#lease': 'lease',
      '#ok': 'ok',
      ...(exhaustible ? { '#receiveCount': 'receiveCount' } : {}),
    },
    ExpressionAttributeValues: toAttributes({
      ...(delayed
        ? { ':delayed': 'delayed', ':ask': timerKey(dueAt, held.orderKey), ':due': dueAt }
        : { ':ready': 'ready', ':ask': readyKey(held.orderKey) }),
      ...(exhaustible ? { ':max': maxReceiveCount } : {}),
      ':token': held.token,
      ':ok': held.orderKey,
    }),
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/** extend: UpdateItem SET state = inFlight, leaseExpiresAt, ask = T<end><ok>, ttl IF lease = :token AND ok = :ok */
export function extendParams(
  tableName: string,
  held: HeldLease,
  leaseExpiresAt: number,
): UpdateItemCommandInput {
  return {
    TableName: tableName,
    Key: toAttributes(held.key),
    UpdateExpression: 'SET #state = :inFlight, #leaseExpiresAt = :end, #ask = :ask, #ttl = :ttl',
    ConditionExpression: HELD,
    ExpressionAttributeNames: {
      '#state': 'state',
      '#leaseExpiresAt': 'leaseExpiresAt',
      '#ask': 'ask',
      '#ttl': 'ttl',
      '#lease': 'lease',
      '#ok': 'ok',
    },
    ExpressionAttributeValues: toAttributes({
      ':inFlight': 'inFlight',
      ':end': leaseExpiresAt,
      ':ask': timerKey(leaseExpiresAt, held.orderKey),
      ':ttl': ttlFor(leaseExpiresAt),
      ':token': held.token,
      ':ok': held.orderKey,
    }),
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/**
 * remove, plain: DeleteItem IF (<condition>) AND attribute_not_exists(counted) AND
 * attribute_not_exists(grp) (ALL_OLD both ways): a counted or grouped message fails it and is
 * removed by the transaction below instead.
 */
export function removeParams(tableName: string, key: Key, condition: Condition): DeleteItemCommandInput {
  return {
    TableName: tableName,
    Key: toAttributes({ pk: key.pk, sk: key.sk }),
    ConditionExpression: `(${condition.expression}) AND attribute_not_exists(#counted) AND attribute_not_exists(#grp)`,
    ExpressionAttributeNames: { ...condition.names, '#counted': 'counted', '#grp': 'grp' },
    ExpressionAttributeValues: condition.values ? toAttributes(condition.values) : undefined,
    ReturnValues: 'ALL_OLD',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/**
 * remove, in a transaction: Delete IF (<condition>) AND the facts the rest of the transaction
 * relies on (counted or not, waiting in a group or not) are still as read.
 */
export function removeInTransactionParams(
  tableName: string,
  key: Key,
  condition: Condition,
  facts: { counted: boolean; waiting: boolean },
): TransactWriteItem {
  const checks = [
    facts.counted ? '#counted = :true' : 'attribute_not_exists(#counted)',
    facts.waiting ? '#waiting = :true' : 'attribute_not_exists(#waiting)',
  ];
  return {
    Delete: {
      TableName: tableName,
      Key: toAttributes({ pk: key.pk, sk: key.sk }),
      ConditionExpression: `(${condition.expression}) AND ${checks.join(' AND ')}`,
      ExpressionAttributeNames: { ...condition.names, '#counted': 'counted', '#waiting': 'waiting' },
      ExpressionAttributeValues: toAttributes({
        ...condition.values,
        ...(facts.counted || facts.waiting ? { ':true': true } : {}),
      }),
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
}

/**
 * The dead-letter move's (and redrive's) arriving message: in the target at its place `seq`, due
 * `now`, receiveCount 0, with id, body, attributes, priority, publishedAt and group kept (a lifo
 * target has no groups: it shows the group as `groupLabel`), and `deadLetter` when it is one.
 */
export function movedItem(
  current: MessageItem,
  target: Pick<QueueMeta, 'name' | 'inc' | 'order' | 'seq' | 'retentionSeconds' | 'maxMessages'>,
  move: { deadLetter: DeadLetterInfo | null; now: number },
  shard = 0,
): MessageItem {
  const item: MessageItem = {
    ...newMessageItem({
      queue: target.name,
      inc: target.inc,
      order: target.order,
      id: current.id,
      seq: target.seq,
      body: current.body,
      attributes: attributesOf(current),
      priority: current.prio,
      // From a lifo queue, the group it showed (groupLabel) becomes a group again.
      groupId: target.order === 'fifo' ? (current.grp ?? current.groupLabel) : undefined,
      publishedAt: current.publishedAt,
      deliverAt: move.now,
      retentionSeconds: target.retentionSeconds,
      counted: target.maxMessages > 0,
      shard,
    }),
    ...(move.deadLetter ? { deadLetter: move.deadLetter } : {}),
  };
  const groupLabel = current.grp ?? current.groupLabel;
  if (target.order === 'lifo' && groupLabel !== undefined) item.groupLabel = groupLabel;
  return item;
}
