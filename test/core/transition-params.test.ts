/** The exact requests of a claim and of the timed work's promote (functions/core/transition-params.ts). */
import { describe, expect, it } from 'vitest';
import { claimLeaseParams, promoteParams } from '../../functions/core/transition-params';

const seen = { pk: 'Q#q#inc', sk: 'M#id', ask: 'R9000000000000042' };
const leaseExpiresAt = 1_700_000_030_000;

describe('transition requests', () => {
  it('a claim moves the message to a lease timer if it is still where the index showed it', () => {
    const params = claimLeaseParams('t', {
      seen,
      meta: { deadLetterQueue: null, maxReceiveCount: null },
      token: 'tok',
      now: 1_700_000_000_000,
      leaseExpiresAt,
    });
    expect(params.UpdateExpression).toBe(
      'SET #state = :inFlight, #lease = :token, #leaseExpiresAt = :end, #ask = :lease, #ttl = :ttl ADD #receiveCount :one',
    );
    expect(params.ConditionExpression).toBe('#ask = :seen AND #retainUntil > :now');
    expect(params.ExpressionAttributeValues).toMatchObject({
      ':seen': { S: 'R9000000000000042' },
      ':lease': { S: `T00${leaseExpiresAt}9000000000000042` },
      ':end': { N: String(leaseExpiresAt) },
      ':now': { N: '1700000000000' },
    });
    expect(params.ExpressionAttributeValues).not.toHaveProperty(':max');
    expect(params.ReturnValues).toBe('ALL_NEW');
    expect(params.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
  });

  it('a claim on a queue with a dead-letter queue also requires receives left', () => {
    const params = claimLeaseParams('t', {
      seen,
      meta: { deadLetterQueue: 'dlq', maxReceiveCount: 3 },
      token: 'tok',
      now: 1,
      leaseExpiresAt,
    });
    expect(params.ConditionExpression).toBe('#ask = :seen AND #retainUntil > :now AND #receiveCount < :max');
    expect(params.ExpressionAttributeValues?.[':max']).toEqual({ N: '3' });
  });

  it('promote puts a due timer back at its place in the ready range, an ended lease without its end', () => {
    const timer = { ...seen, ask: `T00${leaseExpiresAt}9000000000000042` };
    expect(promoteParams('t', timer, true)).toEqual({
      TableName: 't',
      Key: { pk: { S: 'Q#q#inc' }, sk: { S: 'M#id' } },
      UpdateExpression: 'SET #state = :ready, #ask = :ready_key REMOVE #leaseExpiresAt',
      ConditionExpression: '#ask = :seen',
      ExpressionAttributeNames: { '#state': 'state', '#ask': 'ask', '#leaseExpiresAt': 'leaseExpiresAt' },
      ExpressionAttributeValues: {
        ':ready': { S: 'ready' },
        ':ready_key': { S: 'R9000000000000042' },
        ':seen': { S: timer.ask },
      },
    });
    expect(promoteParams('t', timer, false).UpdateExpression).toBe('SET #state = :ready, #ask = :ready_key');
  });
});
