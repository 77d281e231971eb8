/**
 * Topics: publish once, deliver a copy to every subscribed queue whose filter matches.
 *
 *   put      TransactWrite [Put TOPICS/<topic>] + [ConditionCheck each subscribed queue's #META]
 *   publish  UpdateItem #META ADD seq 1, for each matching queue (its place in that queue; in a
 *            sharded queue, in one shard of it: placement.ts)
 *            TransactWrite: every queue's unit (publish.ts: dedup check, group join, message,
 *            bound) in ONE transaction — all matching queues get the message or none does.
 *
 * A queue where the deduplicationId is a duplicate is taken out of the transaction and listed
 * with `duplicate: true`; a full bounded queue fails the whole publish (QueueFull naming it).
 * DynamoDB caps a transaction at 100 writes and 4 MB: a fan-out beyond that is refused up front
 * (413) rather than split, because split would not be atomic.
 */
import {
  DeleteItemCommand,
  GetItemCommand,
  type GetItemCommandOutput,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import type { Clock } from './engine';
import {
  PayloadTooLargeError,
  QueueFullError,
  QueueNotFoundError,
  ServiceUnavailableError,
  TopicNotFoundError,
} from './errors';
import { TOPICS_PK, topicKey } from './keys';
import { limitGroupOf, withGroupId } from './limit-group';
import { place } from './placement';
import { buildEntry, buildUnit, type Entry, isDuplicateAt, newMessageId } from './publish';
import { queryAll, registryPage } from './query';
import type { QueueMeta, QueueMetaCache } from './queue-meta';
import { referenceParams } from './queue-references';
import type { Signals } from './signals';
import { classify, fromAttributes, type Store, toAttributes } from './store';
import type { Page, PublishInput, Subscription, Topic, TopicDelivery, TopicPublishResult } from './types';

const MAX_TRANSACTION_WRITES = 100;
const MAX_TRANSACTION_BYTES = 4_000_000;

export function matches(subscription: Subscription, attributes: Record<string, string>): boolean {
  return Object.entries(subscription.filter ?? {}).every(([key, allowed]) => {
    const value = Object.hasOwn(attributes, key) ? attributes[key] : undefined;
    return value !== undefined && allowed.includes(value);
  });
}

export class Topics {
  constructor(
    private readonly store: Store,
    private readonly metas: QueueMetaCache,
    private readonly clock: Clock,
    private readonly signals: Signals,
  ) {}

  async put(name: string, subscriptions: Subscription[]): Promise<{ topic: Topic; created: boolean }> {
    const existing = await this.read(name);
    const topic: Topic = { name, subscriptions, createdAt: existing?.createdAt ?? this.clock() };
    const queues = [...new Set(subscriptions.map((subscription) => subscription.queue))];
    // Each subscribed queue must exist, and its delete must see this reference (queue-references.ts).
    const checks: TransactWriteItem[] = queues.map((queue) => referenceParams(this.store.tableName, queue));
    try {
      await this.store.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            ...checks,
            {
              Put: {
                TableName: this.store.tableName,
                // Subscriptions as JSON text: filter keys are attribute names, which a DynamoDB
                // map would mishandle (e.g. `__proto__`).
                Item: toAttributes({
                  ...topicKey(name),
                  ...topic,
                  subscriptions: JSON.stringify(subscriptions),
                }),
              },
            },
          ],
        }),
      );
    } catch (error) {
      const fault = classify(error);
      const cancellation = fault.kind === 'cancelled' ? fault : undefined;
      const missing = cancellation ? queues[cancellation.failedIndex] : undefined;
      if (missing !== undefined) throw new QueueNotFoundError(missing);
      if (cancellation?.conflict)
        throw new ServiceUnavailableError('The topic is being changed concurrently; retry.');
      throw error;
    }
    return { topic, created: existing === undefined };
  }

  async get(name: string): Promise<Topic> {
    const topic = await this.read(name);
    if (!topic) throw new TopicNotFoundError(name);
    return topic;
  }

  private async read(name: string): Promise<Topic | undefined> {
    const { Item } = await this.store.send<GetItemCommandOutput>(
      new GetItemCommand({
        TableName: this.store.tableName,
        Key: toAttributes(topicKey(name)),
        ConsistentRead: true,
      }),
    );
    const item = fromAttributes(Item);
    return item ? topicOf(item) : undefined;
  }

  async list(limit: number, cursor?: string): Promise<Page<Topic>> {
    const page = await registryPage(this.store, TOPICS_PK, 'topics', limit, cursor);
    return { items: page.items.map(topicOf), cursor: page.cursor };
  }

  async delete(name: string): Promise<void> {
    try {
      await this.store.send(
        new DeleteItemCommand({
          TableName: this.store.tableName,
          Key: toAttributes(topicKey(name)),
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': 'pk' },
        }),
      );
    } catch (error) {
      if (classify(error).kind === 'condition') throw new TopicNotFoundError(name);
      throw error;
    }
  }

  /** Names of the topics that subscribe `queue` (a queue they name cannot be deleted). */
  async subscribersOf(queue: string): Promise<string[]> {
    const names: string[] = [];
    const topics = queryAll(this.store, {
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': 'pk' },
      ExpressionAttributeValues: toAttributes({ ':pk': TOPICS_PK }),
      ConsistentRead: true,
    });
    for await (const item of topics) {
      const topic = topicOf(item);
      if (topic.subscriptions.some((subscription) => subscription.queue === queue)) names.push(topic.name);
    }
    return names;
  }

  async publish(name: string, input: PublishInput): Promise<TopicPublishResult> {
    const topic = await this.get(name);
    const attributes = input.attributes ?? {};
    const queues = [
      ...new Set(topic.subscriptions.filter((s) => matches(s, attributes)).map((s) => s.queue)),
    ];
    const id = newMessageId();
    if (queues.length === 0) return { id, deliveries: [] };
    // A subscribed queue that does not exist (a reference left dangling by data from before
    // deletes checked references atomically) is left out; the others get their copy.
    const reserved = await Promise.all(
      queues.map((queue) =>
        // One shard per queue (its group's in a sharded one): still one transaction in all.
        place(this.store, this.metas, queue, (meta) => limitGroupOf(meta, input), 1).catch(
          (error: unknown) => {
            if (error instanceof QueueNotFoundError && error.queue === queue) return undefined;
            throw error;
          },
        ),
      ),
    );
    const placed = reserved.filter((placement) => placement !== undefined);
    if (placed.length === 0) return { id, deliveries: [] };
    const now = this.clock();
    const targets = placed.map(({ meta, seq, groupId, ...home }) => ({
      meta,
      entry: buildEntry(meta, withGroupId(input, groupId), seq, now, home),
    }));
    const duplicates = new Map<string, string>();
    for (let attempt = 0; attempt < 10; attempt++) {
      const active = targets.filter((target) => !duplicates.has(target.meta.name));
      const units = await Promise.all(
        active.map((target) => buildUnit(this.store, target.meta, target.entry, now)),
      );
      const writes = units.flatMap((unit) => unit.writes);
      assertFits(writes, queues.length);
      try {
        if (writes.length > 0)
          await this.store.send(new TransactWriteItemsCommand({ TransactItems: writes }));
        for (const target of active) this.signals.notify(`available:${target.meta.name}`);
        return { id, deliveries: targets.map((target) => delivery(target, duplicates)) };
      } catch (error) {
        const cancellation = classify(error);
        if (cancellation.kind !== 'cancelled') throw error;
        const failed = locate(units, cancellation.failedIndex);
        if (failed) {
          const { meta } = active[failed.unit] as { meta: QueueMeta; entry: Entry };
          const unit = units[failed.unit];
          if (unit && isDuplicateAt(unit, failed.local)) {
            duplicates.set(meta.name, String((cancellation.oldItem as { id?: string } | undefined)?.id));
            continue;
          }
          if (failed.local === unit?.sizeIndex) throw new QueueFullError(meta.name);
        }
        // A group changed under us or a concurrent transaction: build again.
      }
    }
    throw new ServiceUnavailableError('The topic publish met concurrent changes; retry.');
  }
}

function delivery(target: { meta: QueueMeta; entry: Entry }, duplicates: Map<string, string>): TopicDelivery {
  const duplicateOf = duplicates.get(target.meta.name);
  return duplicateOf === undefined
    ? { queue: target.meta.name, id: target.entry.item.id }
    : { queue: target.meta.name, id: duplicateOf, duplicate: true };
}

function locate(units: { writes: unknown[] }[], index: number) {
  let offset = 0;
  for (const [unit, { writes }] of units.entries()) {
    if (index < offset + writes.length) return { unit, local: index - offset };
    offset += writes.length;
  }
  return undefined;
}

function assertFits(writes: TransactWriteItem[], queues: number): void {
  const bytes = writes.reduce((total, write) => total + JSON.stringify(write).length, 0);
  if (writes.length > MAX_TRANSACTION_WRITES || bytes > MAX_TRANSACTION_BYTES) {
    throw new PayloadTooLargeError(
      `Delivering this message to ${queues} queues at once does not fit in one DynamoDB transaction (100 writes, 4 MB); publish a smaller message or subscribe fewer queues.`,
    );
  }
}

function topicOf(item: Record<string, unknown>): Topic {
  return {
    name: String(item.name),
    subscriptions:
      typeof item.subscriptions === 'string' ? (JSON.parse(item.subscriptions) as Subscription[]) : [],
    createdAt: Number(item.createdAt),
  };
}
