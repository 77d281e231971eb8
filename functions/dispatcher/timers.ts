/**
 * Reading a queue's timers for the fine stage of the wake-up: the earliest timer (a delayed
 * message, or a lease end) due in a time range, from the availability index, one item read.
 *
 *   GetItem  Q#<queue> / #META                     → the queue's incarnation and shards (its message partitions)
 *   Query    avail  apk = Q#<queue>#<inc>[#<s>]  AND  ask BETWEEN T<after + 1> AND T<upTo>~   Limit 1, per shard
 */
import {
  GetItemCommand,
  type GetItemCommandOutput,
  QueryCommand,
  type QueryCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { dueOfTimer, dueTimersUpTo, queueMetaKey, shardPartition, timerKey } from '../core/keys';
import { availabilityQuery } from '../core/query';
import { fromAttributes, type Store, toAttributes } from '../core/store';

/** The message partitions of a queue (one per shard), or undefined when the queue does not exist. */
export async function partitionsOf(store: Store, queue: string): Promise<string[] | undefined> {
  const output = await store.send<GetItemCommandOutput>(
    new GetItemCommand({
      TableName: store.tableName,
      Key: toAttributes(queueMetaKey(queue)),
      ProjectionExpression: '#inc, #shards',
      ExpressionAttributeNames: { '#inc': 'inc', '#shards': 'shards' },
    }),
  );
  const item = fromAttributes(output.Item);
  if (item?.inc === undefined) return undefined;
  const shards = Number(item.shards ?? 1);
  return Array.from({ length: shards }, (_, shard) => shardPartition(queue, String(item.inc), shard));
}

export function nextTimerParams(tableName: string, partition: string, after: number, upTo: number) {
  const range = { from: timerKey(Math.max(0, after + 1), ''), to: dueTimersUpTo(upTo) };
  return { TableName: tableName, ...availabilityQuery(partition, range, { limit: 1 }) };
}

/** Due time of the earliest timer in (after, upTo], or undefined. */
export async function nextTimer(
  store: Store,
  partition: string,
  after: number,
  upTo: number,
): Promise<number | undefined> {
  // An empty range: DynamoDB refuses a BETWEEN whose lower bound is above its upper one.
  if (after >= upTo) return undefined;
  const output = await store.send<QueryCommandOutput>(
    new QueryCommand(nextTimerParams(store.tableName, partition, after, upTo)),
  );
  const ask = fromAttributes(output.Items?.[0])?.ask;
  return typeof ask === 'string' ? dueOfTimer(ask) : undefined;
}
