/**
 * BatchWriteItem in chunks of 25 (DynamoDB's limit), retrying UnprocessedItems with backoff until
 * every write is done: a publish answers 2xx only after all of its items are stored.
 */
import {
  type AttributeValue,
  BatchWriteItemCommand,
  type BatchWriteItemCommandOutput,
  QueryCommand,
  type QueryCommandOutput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { ServiceUnavailableError } from './errors';
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
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page: QueryCommandOutput = await store.send(
      new QueryCommand({
        TableName: store.tableName,
        KeyConditionExpression: skPrefix ? '#pk = :pk AND begins_with(#sk, :prefix)' : '#pk = :pk',
        ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
        ExpressionAttributeValues: toAttributes(
          skPrefix ? { ':pk': pk, ':prefix': skPrefix } : { ':pk': pk },
        ),
        ProjectionExpression: '#pk, #sk',
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    const keys = page.Items ?? [];
    await batchWrite(
      store,
      keys.map((Key) => ({ DeleteRequest: { Key } })),
    );
    deleted += keys.length;
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return deleted;
}
