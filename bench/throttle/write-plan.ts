/**
 * The write units one DynamoDB write request costs, and where: per item, the table partition of
 * its partition key, and the `avail` index partition(s) of its index key (`apk`) before and after.
 *
 *   table   max(size before, size after) in 1 KB units (a delete: the size before); ×2 in a
 *           transaction (ConditionCheck included: charged like a write, an upper bound)
 *   index   an entry added or removed: 1 write on its `apk`; moved (its `ask` or `apk` changed):
 *           2 (a delete on the old `apk`, a put on the new); rewritten in place (a Put, or a
 *           projected attribute changed): 1. Index writes are not doubled in a transaction
 *           (the same assumption as docs/performance.md's cost table).
 *
 * Sizes come from the simulator's knowledge of each item (item-book.ts): what the writes it let
 * through left there, or what it read when it did not know the item.
 */
import { INDEX_ENTRY_OVERHEAD, type WireItem, writeUnits } from './item-size';
import { type AttributeShape, applyUpdate, shapeOf, shapeSize } from './update-expression';

export interface Schema {
  partitionKey: string;
  sortKey: string;
  index: { name: string; partitionKey: string; sortKey: string; projected: readonly string[] };
}

export type WriteKind = 'put' | 'update' | 'delete' | 'check';

export interface Charge {
  /** `table` or `index`: which limit of the partition is used. */
  resource: 'table' | 'index';
  /** Table name and partition key value (`<table> <pk>` or `<table>/index/avail <apk>`). */
  partition: string;
  units: number;
}

export interface ItemWrite {
  table: string;
  kind: WriteKind;
  /** `<table>\0<pk>\0<sk>`: the item's identity in the item book. */
  id: string;
  key: WireItem;
  before: AttributeShape | undefined;
  /** The item as it will be if the write succeeds (undefined: deleted or unchanged). */
  after: AttributeShape | undefined;
  charges: Charge[];
}

/** One item's write as a request describes it, before sizes are known. */
export interface WriteIntent {
  table: string;
  kind: WriteKind;
  key: WireItem;
  item?: WireItem;
  update?: { expression: string; names?: Record<string, string>; values?: WireItem };
}

const text = (value: unknown) => {
  const wire = value as { S?: string; N?: string; B?: string } | undefined;
  return String(wire?.S ?? wire?.N ?? wire?.B ?? '');
};

export const itemId = (table: string, key: WireItem, schema: Schema) =>
  `${table}\u0000${text(key[schema.partitionKey])}\u0000${text(key[schema.sortKey])}`;

/** The items one request writes, in request order. */
export function intentsOf(operation: string, body: Record<string, unknown>, schema: Schema): WriteIntent[] {
  const keyOf = (item: WireItem): WireItem => ({
    [schema.partitionKey]: item[schema.partitionKey] as WireItem[string],
    [schema.sortKey]: item[schema.sortKey] as WireItem[string],
  });
  // biome-ignore lint/suspicious/noExplicitAny: DynamoDB's JSON request shapes
  const single = (kind: WriteKind, request: any): WriteIntent => ({
    table: String(request.TableName),
    kind,
    key: kind === 'put' ? keyOf(request.Item) : request.Key,
    item: request.Item,
    update:
      kind === 'update'
        ? {
            expression: String(request.UpdateExpression ?? ''),
            names: request.ExpressionAttributeNames,
            values: request.ExpressionAttributeValues,
          }
        : undefined,
  });
  switch (operation) {
    case 'PutItem':
      return [single('put', body)];
    case 'UpdateItem':
      return [single('update', body)];
    case 'DeleteItem':
      return [single('delete', body)];
    case 'BatchWriteItem': {
      const intents: WriteIntent[] = [];
      // biome-ignore lint/suspicious/noExplicitAny: DynamoDB's JSON request shapes
      for (const [table, requests] of Object.entries(body.RequestItems as Record<string, any[]>)) {
        for (const request of requests) {
          if (request.PutRequest) intents.push(single('put', { TableName: table, ...request.PutRequest }));
          else intents.push(single('delete', { TableName: table, ...request.DeleteRequest }));
        }
      }
      return intents;
    }
    case 'TransactWriteItems':
      // biome-ignore lint/suspicious/noExplicitAny: DynamoDB's JSON request shapes
      return (body.TransactItems as any[]).map((action) => {
        if (action.Put) return single('put', action.Put);
        if (action.Update) return single('update', action.Update);
        if (action.Delete) return single('delete', action.Delete);
        return single('check', action.ConditionCheck);
      });
    default:
      return [];
  }
}

export const WRITE_OPERATIONS = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
]);

interface IndexEntry {
  apk: string;
  ask: string;
}

function entryOf(shape: AttributeShape | undefined, schema: Schema): IndexEntry | undefined {
  const apk = shape?.values[schema.index.partitionKey];
  const ask = shape?.values[schema.index.sortKey];
  return apk && ask && shape?.sizes[schema.index.partitionKey] !== undefined
    ? { apk: text(apk), ask: text(ask) }
    : undefined;
}

/** Bytes of an index entry: index keys, table keys, projected attributes, overhead. */
function entryUnits(shape: AttributeShape, schema: Schema): number {
  const { index } = schema;
  const names = new Set([
    index.partitionKey,
    index.sortKey,
    schema.partitionKey,
    schema.sortKey,
    ...index.projected,
  ]);
  let bytes = INDEX_ENTRY_OVERHEAD;
  for (const name of names) bytes += shape.sizes[name] ?? 0;
  return writeUnits(bytes);
}

/** Sizes the write of one item and says which partitions pay for it. */
export function planWrite(
  intent: WriteIntent,
  before: AttributeShape | undefined,
  schema: Schema,
  transactional: boolean,
): ItemWrite {
  const keep = [schema.index.partitionKey, schema.index.sortKey, schema.partitionKey, schema.sortKey];
  let after: AttributeShape | undefined;
  if (intent.kind === 'put' && intent.item) after = shapeOf(intent.item, keep);
  if (intent.kind === 'update' && intent.update) {
    const base = before ?? shapeOf(intent.key, keep);
    after = applyUpdate(base, intent.update.expression, intent.update.names, intent.update.values);
  }
  if (intent.kind === 'check') after = before;
  const factor = transactional ? 2 : 1;
  const partition = text(intent.key[schema.partitionKey]);
  const charges: Charge[] = [
    {
      resource: 'table',
      partition: `${intent.table} ${partition}`,
      units:
        writeUnits(Math.max(shapeSize(before), intent.kind === 'delete' ? 0 : shapeSize(after))) * factor,
    },
  ];
  if (intent.kind !== 'check') {
    const indexPartition = (apk: string) => `${intent.table}/index/${schema.index.name} ${apk}`;
    const old = entryOf(before, schema);
    const next = intent.kind === 'delete' ? undefined : entryOf(after, schema);
    // A Put rewrites the entry; an update does when it names a projected attribute (an upper
    // bound: DynamoDB skips the index write when the value is unchanged).
    const projectedChanged = intent.kind === 'put' || touchesProjected(intent, schema);
    if (old && next && (old.apk !== next.apk || old.ask !== next.ask)) {
      charges.push({
        resource: 'index',
        partition: indexPartition(old.apk),
        units: entryUnits(before as AttributeShape, schema),
      });
      charges.push({
        resource: 'index',
        partition: indexPartition(next.apk),
        units: entryUnits(after as AttributeShape, schema),
      });
    } else if (old && next && projectedChanged) {
      charges.push({
        resource: 'index',
        partition: indexPartition(next.apk),
        units: entryUnits(after as AttributeShape, schema),
      });
    } else if (old && !next) {
      charges.push({
        resource: 'index',
        partition: indexPartition(old.apk),
        units: entryUnits(before as AttributeShape, schema),
      });
    } else if (!old && next) {
      charges.push({
        resource: 'index',
        partition: indexPartition(next.apk),
        units: entryUnits(after as AttributeShape, schema),
      });
    }
  }
  return {
    table: intent.table,
    kind: intent.kind,
    id: itemId(intent.table, intent.key, schema),
    key: intent.key,
    before,
    after: intent.kind === 'delete' ? undefined : after,
    charges,
  };
}

/** True when an update names a projected attribute (even with a value of the same size). */
function touchesProjected(intent: WriteIntent, schema: Schema): boolean {
  const expression = intent.update?.expression ?? '';
  const names = intent.update?.names ?? {};
  const mentioned = new Set(
    (expression.match(/#[A-Za-z0-9_]+|\b[A-Za-z_][A-Za-z0-9_]*\b/g) ?? []).map((token) =>
      token.startsWith('#') ? (names[token] ?? token) : token,
    ),
  );
  return schema.index.projected.some((name) => mentioned.has(name));
}
