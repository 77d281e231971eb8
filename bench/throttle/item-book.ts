/**
 * What the simulator knows of each item: its attribute sizes and index keys, kept from the writes
 * it let through (a Put's item, an update applied to what was known, ALL_NEW attributes when the
 * answer carries them, a delete's absence). An item it has not seen is read once from DynamoDB
 * Local (a consistent GetItem, not counted and never throttled: the simulator's bookkeeping, not
 * traffic), except before a Put: an unknown Put target is taken as new (the simulator is meant to
 * see a table's writes from its creation; an item written around it and then overwritten through
 * it is charged by its new size only).
 */
import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { WireItem } from './item-size';
import { type AttributeShape, shapeOf } from './update-expression';
import type { Schema, WriteIntent } from './write-plan';
import { itemId } from './write-plan';

export class ItemBook {
  /** null: known not to exist. */
  private readonly shapes = new Map<string, AttributeShape | null>();

  constructor(
    private readonly upstream: DynamoDBClient,
    private readonly schema: Schema,
  ) {}

  private get keep() {
    const { schema } = this;
    return [schema.index.partitionKey, schema.index.sortKey, schema.partitionKey, schema.sortKey];
  }

  async before(intent: WriteIntent): Promise<AttributeShape | undefined> {
    const id = itemId(intent.table, intent.key, this.schema);
    const known = this.shapes.get(id);
    if (known !== undefined) return known ?? undefined;
    if (intent.kind === 'put') return undefined;
    const { Item } = await this.upstream.send(
      // biome-ignore lint/suspicious/noExplicitAny: the wire key is the SDK's AttributeValue map
      new GetItemCommand({ TableName: intent.table, Key: intent.key as any, ConsistentRead: true }),
    );
    const shape = Item ? shapeOf(Item as unknown as WireItem, this.keep) : null;
    this.shapes.set(id, shape);
    return shape ?? undefined;
  }

  set(id: string, shape: AttributeShape | undefined): void {
    this.shapes.set(id, shape ?? null);
  }

  setItem(id: string, item: WireItem): void {
    this.shapes.set(id, shapeOf(item, this.keep));
  }
}
