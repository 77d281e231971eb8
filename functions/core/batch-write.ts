/**
 * BatchWriteItem in chunks of 25 (DynamoDB's limit), retrying UnprocessedItems with backoff until
 * every write is done: a publish answers 2xx only after all of its items are stored.
 */
import {
  BatchWriteItemCommand,
  type BatchWriteItemCommandOutput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { ServiceUnavailableError } from './errors';
import { queryAll } from './query';
import { type Key, type Store, sleep, toAttributes } from './store';

const CHUNK = 25;
const MAX_ROUNDS = 10;

export async function batchWrite(store: Store, requests: WriteRequest[]): Promise<void> {
  for (let start = 0; start < requests.length; start += CHUNK) {
    let pending = requests.slice(start, start + CHUNK);
    for (let round = 0; pending.length > 0; round++) {
      if (round === MAX_ROUNDS) throw new ServiceUnavailableError('The store did not take every write.');
      if (round > 0) await sleep(Math.min(1_000, 25 * 2 ** round * Math.random()));
      const output = await store.send<BatchWriteItemCommandOutput>(
        new BatchWriteItemCommand({ RequestItems: { [store.tableName]: pending } }),
      );
      pending = output.UnprocessedItems?.[store.tableName] ?? [];
    }
  }
}

export const putRequest = (item: object): WriteRequest => ({ PutRequest: { Item: toAttributes(item) } });
export const deleteRequest = (key: Key): WriteRequest => ({ DeleteRequest: { Key: toAttributes(key) } });

/** Deletes every item of a partition (optionally only sort keys with a prefix); returns how many. */
export async function deletePartition(store: Store, pk: string, skPrefix?: string): Promise<number> {
  let deleted = 0;
  const keys = queryAll(store, {
    KeyConditionExpression: skPrefix ? '#pk = :pk AND begins_with(#sk, :prefix)' : '#pk = :pk',
    ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
    ExpressionAttributeValues: toAttributes(skPrefix ? { ':pk': pk, ':prefix': skPrefix } : { ':pk': pk }),
    ProjectionExpression: '#pk, #sk',
    ConsistentRead: true,
  });
  let chunk: Key[] = [];
  const flush = async () => {
    await batchWrite(store, chunk.map(deleteRequest));
    deleted += chunk.length;
    chunk = [];
  };
  for await (const { pk: itemPk, sk } of keys) {
    chunk.push({ pk: String(itemPk), sk: String(sk) });
    if (chunk.length === CHUNK) await flush();
  }
  await flush();
  return deleted;
}
