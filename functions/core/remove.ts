/**
 * Removing a message (ack, auto-ack, cancel, retention drop) under a condition, keeping a bounded
 * queue's counter exact:
 *
 *   1. DeleteItem  IF <condition> AND attribute_not_exists(counted)          → ALL_OLD
 *   2. only if (1) failed and the old item is counted:
 *      TransactWrite [Delete IF <condition> AND counted = true] + [#SIZE ADD -1]
 *
 * Unbounded queues pay one request; a counted message pays one more, and never leaves the
 * counter out of step with the messages.
 */
import {
  DeleteItemCommand,
  type DeleteItemCommandOutput,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { ServiceUnavailableError } from './errors';
import { asMessageItem, type MessageItem } from './message-item';
import { sizeAdd } from './size';
import {
  cancellationOf,
  fromAttributes,
  type Item,
  isConditionFailure,
  type Key,
  oldItemOf,
  type Store,
  toAttributes,
} from './store';

export interface Condition {
  expression: string;
  names?: Record<string, string>;
  values?: Item;
}

export type Removal =
  | { removed: true; old: MessageItem }
  /** `old` is the item as it was when the condition failed; undefined when there was none. */
  | { removed: false; old: MessageItem | undefined };

export async function removeMessage(store: Store, key: Key, condition: Condition): Promise<Removal> {
  const names = { ...condition.names, '#counted': 'counted' };
  try {
    const output = await store.send<DeleteItemCommandOutput>(
      new DeleteItemCommand({
        TableName: store.tableName,
        Key: toAttributes({ pk: key.pk, sk: key.sk }),
        ConditionExpression: `(${condition.expression}) AND attribute_not_exists(#counted)`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: condition.values ? toAttributes(condition.values) : undefined,
        ReturnValues: 'ALL_OLD',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return { removed: true, old: asMessageItem(fromAttributes(output.Attributes) ?? {}) };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const old = oldItemOf(error);
    if (!old?.counted) return { removed: false, old: old && asMessageItem(old) };
    return removeCounted(store, key, condition, asMessageItem(old));
  }
}

async function removeCounted(
  store: Store,
  key: Key,
  condition: Condition,
  old: MessageItem,
): Promise<Removal> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await store.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Delete: {
                TableName: store.tableName,
                Key: toAttributes({ pk: key.pk, sk: key.sk }),
                ConditionExpression: `(${condition.expression}) AND #counted = :counted`,
                ExpressionAttributeNames: { ...condition.names, '#counted': 'counted' },
                ExpressionAttributeValues: toAttributes({ ...condition.values, ':counted': true }),
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
            sizeAdd(store.tableName, key.pk, -1),
          ],
        }),
      );
      return { removed: true, old };
    } catch (error) {
      const cancellation = cancellationOf(error);
      if (!cancellation) throw error;
      if (cancellation.failedIndex === 0) {
        const current = cancellation.oldItem;
        return { removed: false, old: current && asMessageItem(current) };
      }
      if (!cancellation.conflict) throw error;
    }
  }
  throw new ServiceUnavailableError('The message is being changed concurrently; retry.');
}
