/**
 * Reads that a sharded queue needs before it knows the shard: where a message group lives, and
 * where a message of a given id is. A queue of one shard answers both without a read (or with the
 * one GetItem it always made), so its costs stay as they were.
 *
 *   group home   BatchGetItem G#<group> in each shard it may live in (consistent)   only after growth
 *   message      BatchGetItem M#<id> in every shard (consistent, 100 keys a request)
 */
import {
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  GetItemCommand,
  type GetItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { fetchMessages } from './batch-get';
import { groupKey, messageKey, shardOfPartition, shardPartition } from './keys';
import { asMessageItem, type MessageItem } from './message-item';
import type { QueueMeta } from './queue-meta';
import { groupHomes, shardCount } from './shards';
import { fromAttributes, type Store, toAttributes } from './store';

export interface GroupHome {
  shard: number;
  /** The other message partitions the group could live in: a new group checks it is in none. */
  elsewhere: string[];
}

/** The shard of `groupId`: where its G# item is, or (a new group) hash(groupId) mod N. */
export async function groupHome(store: Store, meta: QueueMeta, groupId: string): Promise<GroupHome> {
  const homes = groupHomes(meta, groupId);
  const partition = (shard: number) => shardPartition(meta.name, meta.inc, shard);
  const newest = homes[0] as number;
  if (homes.length === 1) return { shard: newest, elsewhere: [] };
  const output = await store.send<BatchGetItemCommandOutput>(
    new BatchGetItemCommand({
      RequestItems: {
        [store.tableName]: {
          Keys: homes.map((shard) => toAttributes(groupKey(partition(shard), groupId))),
          ConsistentRead: true,
          ProjectionExpression: 'pk',
        },
      },
    }),
  );
  // Unprocessed keys (throttling) only make the group look new: its conditions then fail and the
  // publish looks again.
  const found = (output.Responses?.[store.tableName] ?? []).map((raw) => String(fromAttributes(raw)?.pk));
  const shard = found[0] === undefined ? newest : shardOfPartition(found[0]);
  return { shard, elsewhere: homes.filter((home) => home !== shard).map(partition) };
}

/** The message `id` of the queue, from whichever shard holds it; undefined when none does. */
export async function findMessage(
  store: Store,
  meta: QueueMeta,
  id: string,
): Promise<MessageItem | undefined> {
  if (shardCount(meta) === 1) {
    const { Item } = await store.send<GetItemCommandOutput>(
      new GetItemCommand({
        TableName: store.tableName,
        Key: toAttributes(messageKey(meta.name, meta.inc, id)),
        ConsistentRead: true,
      }),
    );
    const item = fromAttributes(Item);
    return item && asMessageItem(item);
  }
  const keys = Array.from({ length: shardCount(meta) }, (_, shard) =>
    messageKey(meta.name, meta.inc, id, shard),
  );
  const [item] = await fetchMessages(store, keys);
  return item;
}
