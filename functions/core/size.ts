/**
 * The message counter of a bounded queue (pk = Q#<queue>#<inc>, sk = #SIZE). Only messages
 * published while the queue is bounded are counted (they carry `counted`), so unbounded queues
 * never touch this item; every write that adds or removes a counted message moves the counter in
 * the same transaction.
 */
import { GetItemCommand, type GetItemCommandOutput, type TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { SIZE_SK } from './keys';
import { fromAttributes, type Store, toAttributes } from './store';

/** `partition` is the message partition (Q#<queue>#<inc>) the counter belongs to. */
export function sizeAdd(tableName: string, partition: string, delta: number): TransactWriteItem {
  return {
    Update: {
      TableName: tableName,
      Key: toAttributes({ pk: partition, sk: SIZE_SK }),
      UpdateExpression: 'ADD #size :delta',
      ExpressionAttributeNames: { '#size': 'size' },
      ExpressionAttributeValues: toAttributes({ ':delta': delta }),
    },
  };
}

/** Adds `count` only while the result stays within `max`: the bound check and the reservation in one. */
export function sizeReserve(tableName: string, partition: string, count: number, max: number) {
  const { Update: add } = sizeAdd(tableName, partition, count);
  if (!add) throw new Error('sizeAdd builds an Update');
  return {
    Update: {
      ...add,
      ConditionExpression: 'attribute_not_exists(#size) OR #size <= :room',
      ExpressionAttributeValues: toAttributes({ ':delta': count, ':room': max - count }),
    },
  } satisfies TransactWriteItem;
}

export async function readSize(store: Store, partition: string): Promise<number> {
  const { Item } = await store.send<GetItemCommandOutput>(
    new GetItemCommand({
      TableName: store.tableName,
      Key: toAttributes({ pk: partition, sk: SIZE_SK }),
      ConsistentRead: true,
    }),
  );
  return Number(fromAttributes(Item)?.size ?? 0);
}
