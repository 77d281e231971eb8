/**
 * Fetches messages by key with consistent BatchGetItem (100 keys a request), retrying
 * UnprocessedKeys, and answers them once each in the order of the keys; gone ones are left out.
 */
import {
  type AttributeValue,
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { ServiceUnavailableError } from './errors';
import { asMessageItem, type MessageItem } from './message-item';
import { fromAttributes, type Key, type Store, sleep, toAttributes } from './store';

const CHUNK = 100;

export async function fetchMessages(store: Store, keys: Key[]): Promise<MessageItem[]> {
  const found = new Map<string, MessageItem>();
  // BatchGetItem refuses a request that names one key twice.
  const distinct = [...new Map(keys.map((key) => [`${key.pk}\n${key.sk}`, key])).values()];
  for (let start = 0; start < distinct.length; start += CHUNK) {
    let pending: Record<string, AttributeValue>[] = distinct
      .slice(start, start + CHUNK)
      .map((key) => toAttributes({ pk: key.pk, sk: key.sk }));
    for (let round = 0; pending.length > 0; round++) {
      if (round === 10) throw new ServiceUnavailableError('The store did not answer every read.');
      if (round > 0) await sleep(25 * 2 ** round);
      const output = await store.send<BatchGetItemCommandOutput>(
        new BatchGetItemCommand({
          RequestItems: { [store.tableName]: { Keys: pending, ConsistentRead: true } },
        }),
      );
      for (const raw of output.Responses?.[store.tableName] ?? []) {
        const item = asMessageItem(fromAttributes(raw) ?? {});
        found.set(`${item.pk}\n${item.sk}`, item);
      }
      pending = output.UnprocessedKeys?.[store.tableName]?.Keys ?? [];
    }
  }
  return distinct.flatMap((key) => found.get(`${key.pk}\n${key.sk}`) ?? []);
}
