/**
 * The exact requests of the message transitions (functions/core/transition-params.ts): claim,
 * promote, release, extend, remove, and the item a dead-letter move or a redrive puts.
 */
import { describe, expect, it } from 'vitest';
import type { MessageItem } from '../../functions/core/message-item';
import {
  claimLeaseParams,
  extendParams,
  movedItem,
  promoteParams,
  releaseParams,
  removeInTransactionParams,
  removeParams,
} from '../../functions/core/transition-params';

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

  const held = { key: { pk: 'Q#q#inc', sk: 'M#id' }, token: 'tok', orderKey: '9000000000000042' };

  it('release puts the message back at its place if the receipt still holds and its order key is as named', () => {
    expect(releaseParams('t', held, { dueAt: null, maxReceiveCount: null })).toEqual({
      TableName: 't',
      Key: { pk: { S: 'Q#q#inc' }, sk: { S: 'M#id' } },
      UpdateExpression: 'SET #state = :ready, #ask = :ask REMOVE #lease, #leaseExpiresAt',
      ConditionExpression: '#lease = :token AND #ok = :ok',
      ExpressionAttributeNames: {
        '#state': 'state',
        '#ask': 'ask',
        '#leaseExpiresAt': 'leaseExpiresAt',
        '#lease': 'lease',
        '#ok': 'ok',
      },
      ExpressionAttributeValues: {
        ':ready': { S: 'ready' },
        ':ask': { S: 'R9000000000000042' },
        ':token': { S: 'tok' },
        ':ok': { S: '9000000000000042' },
      },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('release with a delay makes a timer at the due time; on a dead-lettering queue it requires receives left', () => {
    const params = releaseParams('t', held, { dueAt: leaseExpiresAt, maxReceiveCount: 3 });
    expect(params.UpdateExpression).toBe(
      'SET #state = :delayed, #ask = :ask, #deliverAt = :due REMOVE #lease, #leaseExpiresAt',
    );
    expect(params.ConditionExpression).toBe('#lease = :token AND #ok = :ok AND #receiveCount < :max');
    expect(params.ExpressionAttributeNames).toMatchObject({
      '#deliverAt': 'deliverAt',
      '#receiveCount': 'receiveCount',
    });
    expect(params.ExpressionAttributeValues).toEqual({
      ':delayed': { S: 'delayed' },
      ':ask': { S: `T00${leaseExpiresAt}9000000000000042` },
      ':due': { N: String(leaseExpiresAt) },
      ':max': { N: '3' },
      ':token': { S: 'tok' },
      ':ok': { S: '9000000000000042' },
    });
  });

  it('extend moves the lease timer to the new end if the receipt still holds', () => {
    const params = extendParams('t', held, leaseExpiresAt);
    expect(params.UpdateExpression).toBe(
      'SET #state = :inFlight, #leaseExpiresAt = :end, #ask = :ask, #ttl = :ttl',
    );
    expect(params.ConditionExpression).toBe('#lease = :token AND #ok = :ok');
    expect(params.ExpressionAttributeValues).toMatchObject({
      ':inFlight': { S: 'inFlight' },
      ':end': { N: String(leaseExpiresAt) },
      ':ask': { S: `T00${leaseExpiresAt}9000000000000042` },
      ':token': { S: 'tok' },
      ':ok': { S: '9000000000000042' },
    });
    expect(params.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
  });

  const holds = { expression: '#lease = :token', names: { '#lease': 'lease' }, values: { ':token': 'tok' } };

  it('a plain remove is one conditional delete that refuses counted and grouped messages', () => {
    expect(removeParams('t', held.key, holds)).toEqual({
      TableName: 't',
      Key: { pk: { S: 'Q#q#inc' }, sk: { S: 'M#id' } },
      ConditionExpression:
        '(#lease = :token) AND attribute_not_exists(#counted) AND attribute_not_exists(#grp)',
      ExpressionAttributeNames: { '#lease': 'lease', '#counted': 'counted', '#grp': 'grp' },
      ExpressionAttributeValues: { ':token': { S: 'tok' } },
      ReturnValues: 'ALL_OLD',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('a remove in a transaction also requires the facts the transaction relies on', () => {
    expect(removeInTransactionParams('t', held.key, holds, { counted: true, waiting: false })).toEqual({
      Delete: {
        TableName: 't',
        Key: { pk: { S: 'Q#q#inc' }, sk: { S: 'M#id' } },
        ConditionExpression: '(#lease = :token) AND #counted = :true AND attribute_not_exists(#waiting)',
        ExpressionAttributeNames: { '#lease': 'lease', '#counted': 'counted', '#waiting': 'waiting' },
        ExpressionAttributeValues: { ':token': { S: 'tok' }, ':true': { BOOL: true } },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    });
    const plain = removeInTransactionParams('t', held.key, holds, { counted: false, waiting: false });
    expect(plain.Delete?.ConditionExpression).toBe(
      '(#lease = :token) AND attribute_not_exists(#counted) AND attribute_not_exists(#waiting)',
    );
    expect(plain.Delete?.ExpressionAttributeValues).toEqual({ ':token': { S: 'tok' } });
  });

  const current = {
    pk: 'Q#src#inc',
    sk: 'M#id',
    id: 'id',
    seq: 7,
    ok: '3000000000000007',
    body: '{"a":1}',
    attrs: '{"k":"v"}',
    prio: 6,
    grp: 'g',
    publishedAt: 1_000,
    deliverAt: 1_000,
    receiveCount: 3,
    state: 'inFlight',
    lease: 'tok',
    retainUntil: 9_000_000,
  } as unknown as MessageItem;
  const target = { name: 'dlq', inc: 'i2', seq: 42, retentionSeconds: 60, maxMessages: 0 };
  const deadLetter = { sourceQueue: 'src', receiveCount: 3, reason: 'maxReceiveCount' as const };

  it('a dead-letter move puts a fresh copy at the last place of the target, due now, with deadLetter', () => {
    const now = 5_000;
    expect(movedItem(current, { ...target, order: 'fifo' }, { deadLetter, now })).toEqual({
      pk: 'Q#dlq#i2',
      sk: 'M#id',
      apk: 'Q#dlq#i2',
      ask: `T${String(now).padStart(15, '0')}3000000000000042`,
      id: 'id',
      seq: 42,
      ok: '3000000000000042',
      body: '{"a":1}',
      attrs: '{"k":"v"}',
      prio: 6,
      grp: 'g',
      publishedAt: 1_000,
      deliverAt: now,
      receiveCount: 0,
      state: 'delayed',
      retainUntil: now + 60_000,
      ttl: expect.any(Number),
      deadLetter,
    });
  });

  it('a redrive into a bounded lifo queue counts the copy, carries no deadLetter and shows the group as a label', () => {
    const item = movedItem(
      current,
      { ...target, order: 'lifo', maxMessages: 10 },
      { deadLetter: null, now: 1_000 },
    );
    expect(item).not.toHaveProperty('deadLetter');
    expect(item).not.toHaveProperty('grp');
    expect(item).toMatchObject({ groupLabel: 'g', counted: true, state: 'ready', receiveCount: 0 });
    expect(item.ask).toBe(`R3${String(1e15 - 1 - 42).padStart(15, '0')}`);
  });

  it('a move from a lifo queue into a fifo one makes the group it showed a group again', () => {
    const { grp: _grp, ...ungrouped } = current as MessageItem & { grp?: string };
    const fromLifo = { ...ungrouped, groupLabel: 'g' } as MessageItem;
    const item = movedItem(fromLifo, { ...target, order: 'fifo' }, { deadLetter: null, now: 1_000 });
    expect(item).toMatchObject({ grp: 'g' });
    expect(item).not.toHaveProperty('groupLabel');
  });
});
