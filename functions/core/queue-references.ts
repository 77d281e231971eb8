/**
 * References to a queue, and the delete that must not leave one dangling. Pure request builders
 * (tested for their exact expressions in test/core/queue-references.test.ts); queues.ts and
 * topics.ts send them.
 *
 *   reference  Update Q#<target>/#META  ADD refs 1  IF attribute_exists(pk)
 *              (in the transaction that writes the reference: a queue naming it as dead-letter
 *              queue, a topic subscribing it)
 *   delete     TransactWrite [Delete #META IF attribute_exists(pk) AND refs = :seen
 *                                        (or attribute_not_exists(refs) when it had none)]
 *                            [Delete registry entry]
 *
 * `refs` is a version, not a count: removing a reference does not touch it. The delete reads the
 * queue's #META, then looks for referrers, then requires the `refs` it read; so a reference
 * written between its look and its write makes it look again, and one written after it finds no
 * queue. Costs nothing extra: the Update replaces the ConditionCheck that was there (same request,
 * same write units).
 */
import type { TransactWriteItem, TransactWriteItemsCommandInput } from '@aws-sdk/client-dynamodb';
import { queueMetaKey, registryKey } from './keys';
import { toAttributes } from './store';

export const REFS_ATTRIBUTE = 'refs';

/** The transaction item that records a new reference to `target` (which must exist). */
export function referenceParams(tableName: string, target: string): TransactWriteItem {
  return {
    Update: {
      TableName: tableName,
      Key: toAttributes(queueMetaKey(target)),
      UpdateExpression: 'ADD #refs :one',
      ConditionExpression: 'attribute_exists(#pk)',
      ExpressionAttributeNames: { '#pk': 'pk', '#refs': REFS_ATTRIBUTE },
      ExpressionAttributeValues: toAttributes({ ':one': 1 }),
    },
  };
}

/** The delete of a queue whose `refs` version was `meta.refs` when its referrers were looked for. */
export function deleteQueueParams(
  tableName: string,
  meta: { name: string; refs?: number },
): TransactWriteItemsCommandInput {
  const unchanged = meta.refs === undefined ? 'attribute_not_exists(#refs)' : '#refs = :refs';
  return {
    TransactItems: [
      {
        Delete: {
          TableName: tableName,
          Key: toAttributes(queueMetaKey(meta.name)),
          ConditionExpression: `attribute_exists(#pk) AND ${unchanged}`,
          ExpressionAttributeNames: { '#pk': 'pk', '#refs': REFS_ATTRIBUTE },
          ...(meta.refs === undefined
            ? {}
            : { ExpressionAttributeValues: toAttributes({ ':refs': meta.refs }) }),
        },
      },
      { Delete: { TableName: tableName, Key: toAttributes(registryKey(meta.name)) } },
    ],
  };
}
