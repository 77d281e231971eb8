/**
 * Publish order comes from the store, never from a clock: one UpdateItem on the queue's #META
 * reserves `count` consecutive sequence numbers and returns the fresh configuration with them.
 *
 *   UpdateItem #META  ADD seq :count  IF attribute_exists(pk)  → ALL_NEW
 */
import {
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type UpdateItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { QueueNotFoundError, ServiceUnavailableError } from './errors';
import { queueMetaKey, shardSequenceKey } from './keys';
import { metaFromItem, type QueueMeta, type QueueMetaCache } from './queue-meta';
import { classify, fromAttributes, type Store, toAttributes } from './store';

/** The queue's configuration; its `seq` is the last of the `count` numbers reserved. */
export async function reserveSequence(
  store: Store,
  metas: QueueMetaCache,
  queue: string,
  count: number,
): Promise<QueueMeta> {
  try {
    const output = await store.send<UpdateItemCommandOutput>(
      new UpdateItemCommand({
        TableName: store.tableName,
        Key: toAttributes(queueMetaKey(queue)),
        UpdateExpression: 'ADD #seq :n',
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: { '#seq': 'seq', '#pk': 'pk' },
        ExpressionAttributeValues: toAttributes({ ':n': count }),
        ReturnValues: 'ALL_NEW',
      }),
    );
    const meta = metaFromItem(fromAttributes(output.Attributes) ?? {});
    metas.remember(meta);
    return meta;
  } catch (error) {
    if (classify(error).kind === 'condition') {
      metas.forget(queue);
      throw new QueueNotFoundError(queue);
    }
    throw error;
  }
}

/**
 * A range of `count` numbers in one shard's sequence. Shard 0 is the queue's own `seq` on #META
 * (and answers the fresh configuration); shard s > 0 has its own item, so publishes to different
 * shards never update one item (keys.ts). That item is made on first use, checking that the
 * queue exists with at least s + 1 shards:
 *
 *   UpdateItem Q#<queue>#seq#<s>  ADD seq :count  IF attribute_exists(pk)  → ALL_NEW
 *   (first use: TransactWrite [ConditionCheck #META shards > s] [Put seq item IF not exists])
 */
export async function reserveInShard(
  store: Store,
  metas: QueueMetaCache,
  meta: QueueMeta,
  shard: number,
  count: number,
): Promise<{ meta: QueueMeta; seq: number }> {
  if (shard === 0) {
    const fresh = await reserveSequence(store, metas, meta.name, count);
    return { meta: fresh, seq: fresh.seq };
  }
  const key = shardSequenceKey(meta.name, meta.gen, shard);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const output = await store.send<UpdateItemCommandOutput>(
        new UpdateItemCommand({
          TableName: store.tableName,
          Key: toAttributes(key),
          UpdateExpression: 'ADD #seq :n',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#seq': 'seq', '#pk': 'pk' },
          ExpressionAttributeValues: toAttributes({ ':n': count }),
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return { meta, seq: Number(fromAttributes(output.Attributes)?.seq) };
    } catch (error) {
      if (classify(error).kind !== 'condition') throw error;
    }
    await createShardSequence(store, metas, meta, shard);
  }
  throw new ServiceUnavailableError('The shard sequence is being changed concurrently; retry.');
}

async function createShardSequence(store: Store, metas: QueueMetaCache, meta: QueueMeta, shard: number) {
  try {
    await store.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          {
            ConditionCheck: {
              TableName: store.tableName,
              Key: toAttributes(queueMetaKey(meta.name)),
              ConditionExpression: 'attribute_exists(#pk) AND #shards > :shard',
              ExpressionAttributeNames: { '#pk': 'pk', '#shards': 'shards' },
              ExpressionAttributeValues: toAttributes({ ':shard': shard }),
            },
          },
          {
            Put: {
              TableName: store.tableName,
              Item: toAttributes({ ...shardSequenceKey(meta.name, meta.gen, shard), seq: 0 }),
              ConditionExpression: 'attribute_not_exists(#pk)',
              ExpressionAttributeNames: { '#pk': 'pk' },
            },
          },
        ],
      }),
    );
  } catch (error) {
    const fault = classify(error);
    if (fault.kind !== 'cancelled') throw error;
    if (fault.failedIndex === 0) {
      metas.forget(meta.name);
      throw new QueueNotFoundError(meta.name);
    }
    // Made meantime by another publish (or a concurrent transaction): use it.
  }
}
