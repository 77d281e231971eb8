/**
 * Reading a whole key range: every page of a Query, and one page of a registry partition
 * (QUEUES, TOPICS) in name order behind an opaque cursor.
 */
import { QueryCommand, type QueryCommandInput, type QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import { decodeCursor, encodeCursor } from './cursor';
import { ValidationError } from './errors';
import { fromAttributes, type Item, type Store, toAttributes } from './store';
import { TABLE } from './table';

export type QueryInput = Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>;

/** Every item of the range, page after page (each page one request). */
export async function* queryAll(store: Store, input: QueryInput): AsyncGenerator<Item> {
  let startKey: QueryCommandInput['ExclusiveStartKey'];
  do {
    const page = await store.send<QueryCommandOutput>(
      new QueryCommand({ ...input, TableName: store.tableName, ExclusiveStartKey: startKey }),
    );
    for (const raw of page.Items ?? []) yield fromAttributes(raw) ?? {};
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}

/** One page of a registry partition, whose sort key is the name. */
export async function registryPage(
  store: Store,
  partition: string,
  kind: 'queues' | 'topics' | 'schedules',
  limit: number,
  cursor?: string,
): Promise<{ items: Item[]; cursor: string | null }> {
  const after = cursor ? decodeCursor(cursor, kind).after : undefined;
  if (after !== undefined && typeof after !== 'string') {
    throw new ValidationError('cursor: not issued by this server.');
  }
  const page = await store.send<QueryCommandOutput>(
    new QueryCommand({
      TableName: store.tableName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': 'pk' },
      ExpressionAttributeValues: toAttributes({ ':pk': partition }),
      ConsistentRead: true,
      Limit: limit,
      ExclusiveStartKey: after ? toAttributes({ pk: partition, sk: after }) : undefined,
    }),
  );
  const items = (page.Items ?? []).map((raw) => fromAttributes(raw) ?? {});
  const last = items.at(-1);
  return {
    items,
    cursor: page.LastEvaluatedKey && last ? encodeCursor(kind, { after: String(last.sk) }) : null,
  };
}

/** A range `[from, to]` of one message partition's availability index (see keys.ts). */
export function availabilityQuery(
  partition: string,
  range: { from: string; to: string },
  options: { filter?: string; names?: Record<string, string>; values?: Item; limit?: number } = {},
): QueryInput {
  const { availabilityIndex: index } = TABLE;
  return {
    IndexName: index.name,
    KeyConditionExpression: '#apk = :apk AND #ask BETWEEN :from AND :to',
    ...(options.filter ? { FilterExpression: options.filter } : {}),
    ExpressionAttributeNames: { '#apk': index.partitionKey, '#ask': index.sortKey, ...options.names },
    ExpressionAttributeValues: toAttributes({
      ':apk': partition,
      ':from': range.from,
      ':to': range.to,
      ...options.values,
    }),
    ...(options.limit ? { Limit: options.limit } : {}),
  };
}
