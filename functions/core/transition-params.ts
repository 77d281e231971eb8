/**
 * Pure request builders for the transitions of a message that receives and the timed work make
 * (the `…Params()` + thin send shape): the exact expressions are asserted in
 * test/core/transition-params.test.ts, and docs/data-model.md's table names the same ones.
 */
import type { UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { isExhaustible } from './dead-letter';
import { orderKeyOf, readyKey, timerKey } from './keys';
import { ttlFor } from './message-item';
import { toAttributes } from './store';

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
