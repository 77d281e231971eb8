/**
 * Publish order comes from the store, never from a clock: one UpdateItem on the queue's #META
 * reserves `count` consecutive sequence numbers and returns the fresh configuration with them.
 *
 *   UpdateItem #META  ADD seq :count  IF attribute_exists(pk)  → ALL_NEW
 */
import { UpdateItemCommand, type UpdateItemCommandOutput } from '@aws-sdk/client-dynamodb';
import { QueueNotFoundError } from './errors';
import { queueMetaKey } from './keys';
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
