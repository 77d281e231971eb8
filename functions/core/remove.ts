/**
 * Removing a message (ack, auto-ack, cancel, retention drop, dead-letter and redrive moves)
 * under a condition, keeping what depends on it exact:
 *
 *   plain      DeleteItem  IF <condition> AND attribute_not_exists(counted) AND attribute_not_exists(grp)
 *   otherwise  TransactWrite [Delete IF <condition> AND <the facts below still hold>]
 *                            [+ #SIZE ADD -1            when the message is counted (bounded queue)]
 *                            [+ group hand-over         when it belongs to a group (groups.ts)]
 *                            [+ `along` writes          e.g. the Put into a dead-letter queue]
 *
 * An unbounded, ungrouped message costs one request, as before; the rest never leave a counter,
 * a group or a move half-done.
 */
import {
  DeleteItemCommand,
  type DeleteItemCommandOutput,
  GetItemCommand,
  type GetItemCommandOutput,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { ServiceUnavailableError } from './errors';
import type { GroupRule } from './group-rate';
import { leaveGroup } from './groups';
import { asMessageItem, type MessageItem } from './message-item';
import { sizeAdd } from './size';
import { classify, fromAttributes, type Item, type Key, type Store, toAttributes } from './store';
import { removeInTransactionParams, removeParams } from './transition-params';

export interface Condition {
  expression: string;
  names?: Record<string, string>;
  values?: Item;
}

export interface RemoveOptions {
  /** The clock's now: a group's next head becomes ready or delayed by it. */
  now: number;
  /**
   * The queue's groupLimits as this process knows them (group-rate.ts), when at hand: a paced
   * group's next member is paced by them; otherwise by the pace its group item holds.
   */
  rule?: GroupRule;
  /** Writes that must happen in the same transaction as the removal. */
  along?: (old: MessageItem) => Promise<TransactWriteItem[]> | TransactWriteItem[];
}

export type Removal =
  | { removed: true; old: MessageItem }
  /** `old` is the item as it was when the condition failed; undefined when there was none. */
  | { removed: false; old: MessageItem | undefined };

const MAX_ATTEMPTS = 5;

export async function removeMessage(
  store: Store,
  key: Key,
  condition: Condition,
  options: RemoveOptions,
): Promise<Removal> {
  const messageKey = { pk: key.pk, sk: key.sk };
  let old: MessageItem | undefined;
  if (!options.along) {
    try {
      const output = await store.send<DeleteItemCommandOutput>(
        new DeleteItemCommand(removeParams(store.tableName, messageKey, condition)),
      );
      return { removed: true, old: asMessageItem(fromAttributes(output.Attributes) ?? {}) };
    } catch (error) {
      const fault = classify(error);
      if (fault.kind !== 'condition') throw error;
      const item = fault.oldItem;
      old = item && asMessageItem(item);
      if (!old || !(old.counted || old.grp)) return { removed: false, old };
    }
  } else {
    old = await readItem(store, messageKey);
    if (!old) return { removed: false, old };
  }
  return removeTransactionally(store, messageKey, condition, options, old);
}

async function removeTransactionally(
  store: Store,
  key: Key,
  condition: Condition,
  options: RemoveOptions,
  first: MessageItem,
): Promise<Removal> {
  let old: MessageItem | undefined = first;
  for (let attempt = 0; attempt < MAX_ATTEMPTS && old; attempt++) {
    // The facts this plan relies on are part of the condition: if they changed, plan again.
    const facts = { counted: Boolean(old.counted), waiting: Boolean(old.waiting) };
    const writes: TransactWriteItem[] = [
      removeInTransactionParams(store.tableName, key, condition, facts),
      ...(old.counted ? [sizeAdd(store.tableName, key.pk, -1)] : []),
      ...(old.grp !== undefined ? await leaveGroup(store, old, options.now, options.rule) : []),
      ...(options.along ? await options.along(old) : []),
    ];
    try {
      await store.send(new TransactWriteItemsCommand({ TransactItems: writes }));
      return { removed: true, old };
    } catch (error) {
      const cancellation = classify(error);
      if (cancellation.kind !== 'cancelled') throw error;
      if (cancellation.failedIndex === 0) {
        const current = cancellation.oldItem && asMessageItem(cancellation.oldItem);
        const factsChanged =
          current &&
          (Boolean(current.counted) !== Boolean(old.counted) ||
            Boolean(current.waiting) !== Boolean(old.waiting));
        if (!factsChanged) return { removed: false, old: current };
        old = current;
        continue;
      }
      // A group, a counter or a destination changed under us (or a concurrent transaction): plan again.
      old = await readItem(store, key);
    }
  }
  if (!old) return { removed: false, old };
  throw new ServiceUnavailableError('The message is being changed concurrently; retry.');
}

async function readItem(store: Store, key: Key): Promise<MessageItem | undefined> {
  const { Item } = await store.send<GetItemCommandOutput>(
    new GetItemCommand({ TableName: store.tableName, Key: toAttributes(key), ConsistentRead: true }),
  );
  const item = fromAttributes(Item);
  return item && asMessageItem(item);
}

/** Retention: drops a message that is still as seen and past its time (whoever meets it first). */
export async function dropExpired(store: Store, seen: Key & { ask: string }, now: number): Promise<void> {
  await removeMessage(
    store,
    seen,
    {
      expression: '#ask = :seen AND #retainUntil <= :now',
      names: { '#ask': 'ask', '#retainUntil': 'retainUntil' },
      values: { ':seen': seen.ask, ':now': now },
    },
    { now },
  );
}
