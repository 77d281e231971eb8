/**
 * The partition-throttle simulator against DynamoDB Local: write units per partition key as
 * DynamoDB counts them (1 KB units, transactions double, the `avail` index charged to `apk`),
 * DynamoDB's exact answers above the limit, and nothing of a throttled request stored.
 */
import {
  BatchWriteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { INDEX_THROTTLED, TABLE_THROTTLED } from '../../bench/throttle/answers';
import { freshTable, testClient } from '../support/dynamo';
import { type ManualClock, manualClock } from '../support/engine';
import { startTestThrottle, type ThrottleProxy, throttledClient } from '../support/throttle';

let proxy: ThrottleProxy;
let clock: ManualClock;
let client: DynamoDBClient;
let direct: DynamoDBClient;
let table: string;

async function start(writeUnitsPerSecond: number) {
  clock = manualClock(0);
  proxy = await startTestThrottle({ writeUnitsPerSecond, clock });
  client = throttledClient(proxy, 1);
}

beforeEach(async () => {
  direct = testClient();
  ({ tableName: table } = await freshTable(direct));
});

afterEach(async () => {
  client?.destroy();
  direct.destroy();
  await proxy?.close();
});

const s = (value: string) => ({ S: value });
const put = (pk: string, sk: string, extra: Record<string, { S: string }> = {}) =>
  client.send(new PutItemCommand({ TableName: table, Item: { pk: s(pk), sk: s(sk), ...extra } }));
const stored = async (pk: string, sk: string) =>
  (
    await direct.send(
      new GetItemCommand({ TableName: table, Key: { pk: s(pk), sk: s(sk) }, ConsistentRead: true }),
    )
  ).Item !== undefined;
const arn = (suffix = '') => `arn:aws:dynamodb:ddblocal:000000000000:table/${table}${suffix}`;

async function rejection(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as Record<string, unknown> & { name: string; $metadata: { httpStatusCode?: number } },
  );
  if (!error) throw new Error('expected the request to be throttled');
  return error;
}

describe('the partition-throttle proxy', () => {
  it('holds a partition key to its write units a second, answers as DynamoDB, and stores nothing it refused', async () => {
    await start(10);
    for (let i = 0; i < 10; i++) await put('A', `m${i}`);
    const error = await rejection(put('A', 'over'));
    expect(error.name).toBe('ProvisionedThroughputExceededException');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.message).toBe(TABLE_THROTTLED);
    expect(error.ThrottlingReasons).toEqual([
      { reason: 'TableWriteKeyRangeThroughputExceeded', resource: arn() },
    ]);
    expect(await stored('A', 'over')).toBe(false);
    // Another partition key has its own limit.
    await put('B', 'm0');
    // A tenth of a second later, one unit is back.
    clock.advance(100);
    await put('A', 'over');
    expect(await stored('A', 'over')).toBe(true);
    await expect(put('A', 'again')).rejects.toThrow(TABLE_THROTTLED);
    const counts = proxy.take();
    expect(counts.throttled).toEqual({ PutItem: 2 });
    expect(counts.forwarded.PutItem).toBe(12);
    expect(counts.units).toEqual({ [`${table} A`]: 11, [`${table} B`]: 1 });
  });

  it('rounds each item up to whole kilobytes', async () => {
    await start(10);
    const body = { body: s('x'.repeat(2_100)) }; // a little over 2 KB with its names: 3 units
    for (let i = 0; i < 3; i++) await put('A', `m${i}`, body);
    await expect(put('A', 'm3', body)).rejects.toThrow(TABLE_THROTTLED);
    expect(proxy.take().units).toEqual({ [`${table} A`]: 9 });
  });

  it('charges the avail index to the partition of apk, 2 units when an entry moves, none when it is not touched', async () => {
    await start(4);
    const entry = (i: number) => ({ apk: s('X'), ask: s(`R${i}`), state: s('ready') });
    for (let i = 0; i < 4; i++) await put(`P${i}`, 'm', entry(i));
    const error = await rejection(put('P4', 'm', entry(4)));
    expect(error.message).toBe(INDEX_THROTTLED);
    expect(error.ThrottlingReasons).toEqual([
      { reason: 'IndexWriteKeyRangeThroughputExceeded', resource: arn('/index/avail') },
    ]);
    expect(await stored('P4', 'm')).toBe(false);
    expect(proxy.take().units).toEqual({
      [`${table} P0`]: 1,
      [`${table} P1`]: 1,
      [`${table} P2`]: 1,
      [`${table} P3`]: 1,
      [`${table}/index/avail X`]: 4,
    });

    clock.advance(1_000);
    const update = (
      expression: string,
      values: Record<string, { S: string }>,
      names: Record<string, string>,
    ) =>
      client.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { pk: s('P0'), sk: s('m') },
          UpdateExpression: expression,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    // A claim moves the entry (delete + put on the index) and changes a projected attribute.
    await update(
      'SET #ask = :ask, #state = :state',
      { ':ask': s('T9'), ':state': s('inFlight') },
      {
        '#ask': 'ask',
        '#state': 'state',
      },
    );
    // An attribute that is neither a key nor projected: the index is not written.
    await update('SET #lease = :lease', { ':lease': s('token') }, { '#lease': 'lease' });
    expect(proxy.take().units).toEqual({ [`${table} P0`]: 2, [`${table}/index/avail X`]: 2 });
  });

  it('doubles transactional writes and cancels a throttled transaction with ThrottlingError reasons, writing none of it', async () => {
    await start(5);
    const txPut = (pk: string, sk: string) => ({ Put: { TableName: table, Item: { pk: s(pk), sk: s(sk) } } });
    await client.send(new TransactWriteItemsCommand({ TransactItems: [txPut('A', '1'), txPut('B', '1')] }));
    await client.send(new TransactWriteItemsCommand({ TransactItems: [txPut('A', '2'), txPut('B', '2')] }));
    expect(proxy.take().units).toEqual({ [`${table} A`]: 4, [`${table} B`]: 4 });
    const error = await rejection(
      client.send(new TransactWriteItemsCommand({ TransactItems: [txPut('C', '1'), txPut('A', '3')] })),
    );
    expect(error.name).toBe('TransactionCanceledException');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.CancellationReasons).toEqual([
      { Code: 'None' },
      { Code: 'ThrottlingError', Message: TABLE_THROTTLED },
    ]);
    expect(error.message).toBe(
      'Transaction cancelled, please refer cancellation reasons for specific reasons [None, ThrottlingError]',
    );
    expect(await stored('C', '1')).toBe(false);
    expect(await stored('A', '3')).toBe(false);
    expect(proxy.take().throttled).toEqual({ TransactWriteItems: 1 });
  });

  it('answers a throttled transaction in the very shape DynamoDB Local gives a cancelled one', async () => {
    await start(1_000);
    await put('A', '1');
    const cancel = (items: object[]) =>
      rejection(client.send(new TransactWriteItemsCommand({ TransactItems: items as never })));
    const real = await cancel([
      {
        Put: {
          TableName: table,
          Item: { pk: s('A'), sk: s('1') },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      { Put: { TableName: table, Item: { pk: s('A'), sk: s('2') } } },
    ]);
    proxy.setLimit(1);
    clock.advance(1_000);
    await put('A', '5');
    const throttled = await cancel([
      { Put: { TableName: table, Item: { pk: s('A'), sk: s('3') } } },
      { Put: { TableName: table, Item: { pk: s('A'), sk: s('4') } } },
    ]);
    expect(throttled.name).toBe(real.name);
    expect(throttled.__type).toBe(real.__type);
    expect(throttled.$metadata.httpStatusCode).toBe(real.$metadata.httpStatusCode);
    expect(Object.keys(throttled).sort()).toEqual(Object.keys(real).sort());
    expect(throttled.message).toMatch(
      /^Transaction cancelled, please refer cancellation reasons for specific reasons \[/,
    );
  });

  it('writes what fits of a batch and hands the rest back as UnprocessedItems; a batch with nothing that fits is refused', async () => {
    await start(3);
    const request = (sk: string) => ({ PutRequest: { Item: { pk: s('A'), sk: s(sk) } } });
    const output = await client.send(
      new BatchWriteItemCommand({ RequestItems: { [table]: ['1', '2', '3', '4', '5'].map(request) } }),
    );
    expect(output.UnprocessedItems).toEqual({ [table]: [request('4'), request('5')] });
    expect([await stored('A', '1'), await stored('A', '3'), await stored('A', '4')]).toEqual([
      true,
      true,
      false,
    ]);
    const error = await rejection(
      client.send(new BatchWriteItemCommand({ RequestItems: { [table]: [request('4')] } })),
    );
    expect(error.name).toBe('ProvisionedThroughputExceededException');
    expect(await stored('A', '4')).toBe(false);
    const counts = proxy.take();
    expect(counts.unprocessedItems).toBe(2);
    expect(counts.throttled).toEqual({ BatchWriteItem: 1 });
  });

  it('answers ThrottlingException instead when configured, and the SDK retries it into success once units return', async () => {
    clock = manualClock(0);
    proxy = await startTestThrottle({ writeUnitsPerSecond: 1, clock, exception: 'ThrottlingException' });
    client = throttledClient(proxy, 1);
    await put('A', '1');
    const error = await rejection(put('A', '2'));
    expect(error.name).toBe('ThrottlingException');
    // With the SDK's own retries, a throttled write succeeds once the partition has room again.
    const retrying = throttledClient(proxy, 5);
    const later = setTimeout(() => clock.advance(1_000), 50);
    await retrying.send(new PutItemCommand({ TableName: table, Item: { pk: s('A'), sk: s('2') } }));
    clearTimeout(later);
    retrying.destroy();
    expect(await stored('A', '2')).toBe(true);
  });
});
