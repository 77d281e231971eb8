/**
 * Which queues the timed work's sweep visits: those with a marker `ACTIVE#<h>` / `<queue>` ("this
 * queue may have messages or timed work"), not every queue in the registry, so 10,000 idle
 * queues cost the sweep 16 Queries of (almost) empty partitions, not 10,000 reads. The markers
 * are spread over 16 partitions by the queue's name (keys.ts), so no partition is hot.
 *
 * - **Marking.** When a queue is created or updated, and before it gets a message (publish,
 *   batch publish), the engine puts its
 *   marker, and its dead-letter queue's (where receives, releases and the timed work move
 *   exhausted messages); after a topic publish or a redrive, the queues that got messages. A
 *   process writes a queue's marker at most once every `TOUCH_INTERVAL_MS` (it remembers when).
 * - **Settling.** After working on a marked queue, the sweep removes its marker when the marker
 *   is older than `STALE_MS` and the queue holds nothing (no message item, no deduplication
 *   record: consistent reads of the base table), with `DeleteItem IF touchedAt = :seen`.
 * - **The race.** A publish that comes while the sweep settles its queue cannot be forgotten: a
 *   process that remembers having marked the queue did so less than `TOUCH_INTERVAL_MS` ago, so
 *   the marker is younger than `STALE_MS` and is not removed; any other process puts the marker
 *   before its message. That put lands either before the sweep's delete (which then fails its
 *   `touchedAt` condition: the marker stays) or after it (the marker is back). `STALE_MS` leaves
 *   two minutes for clocks that disagree. (test/core/active-queues.test.ts)
 * - **Adoption.** Queues written before markers existed are marked once, by the first sweep
 *   that finds no `#ADOPTED` item (one GetItem per process): one pass over the registry, then
 *   `#ADOPTED` is put.
 */
import {
  DeleteItemCommand,
  GetItemCommand,
  type GetItemCommandOutput,
  PutItemCommand,
  QueryCommand,
  type QueryCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { dedupPartitions } from './dedup-keys';
import type { Clock } from './engine';
import { QueueNotFoundError } from './errors';
import {
  ACTIVE_SLOTS,
  activeKey,
  activePartition,
  adoptedKey,
  DEDUP_SK_PREFIX,
  MESSAGE_SK_PREFIX,
  REGISTRY_PK,
} from './keys';
import { queryAll } from './query';
import type { QueueMeta, QueueMetaCache } from './queue-meta';
import { partitionsOf } from './shards';
import { classify, type Store, toAttributes } from './store';

export const TOUCH_INTERVAL_MS = 60_000;
export const STALE_MS = 3 * TOUCH_INTERVAL_MS;

export interface ActiveMarker {
  queue: string;
  touchedAt: number;
}

export class ActiveQueues {
  /** Queue → when this process last put its marker. */
  private readonly marked = new Map<string, number>();
  private adopted = false;

  constructor(
    private readonly store: Store,
    private readonly metas: QueueMetaCache,
    private readonly clock: Clock,
  ) {}

  /** Before a queue gets messages: its marker and its dead-letter queue's (a missing queue: 404 as the publish would). */
  async beforeMessages(queue: string): Promise<void> {
    const meta = await this.metas.get(queue);
    await this.mark(queue);
    if (meta.deadLetterQueue) await this.mark(meta.deadLetterQueue);
  }

  /** Where leases end and messages may be dead-lettered: the dead-letter queue's marker. */
  async beforeDeadLetters(queue: string): Promise<void> {
    const meta = await this.metas.get(queue).catch((error: unknown) => {
      if (error instanceof QueueNotFoundError) return undefined;
      throw error;
    });
    if (meta?.deadLetterQueue) await this.mark(meta.deadLetterQueue);
  }

  async mark(queue: string): Promise<void> {
    const now = this.clock();
    const last = this.marked.get(queue);
    if (last !== undefined && now - last < TOUCH_INTERVAL_MS && last <= now) return;
    await this.store.send(
      new PutItemCommand({
        TableName: this.store.tableName,
        Item: toAttributes({ ...activeKey(queue), touchedAt: now }),
      }),
    );
    this.marked.set(queue, now);
  }

  /** The marked queues (after adopting the queues older than markers, once per table). */
  async markers(): Promise<ActiveMarker[]> {
    if (!this.adopted) {
      const { Item } = await this.store.send<GetItemCommandOutput>(
        new GetItemCommand({
          TableName: this.store.tableName,
          Key: toAttributes(adoptedKey),
          ConsistentRead: true,
        }),
      );
      if (Item === undefined) await this.adopt();
      this.adopted = true;
    }
    const slots = Array.from({ length: ACTIVE_SLOTS }, (_, slot) => this.readSlot(slot));
    return (await Promise.all(slots)).flat();
  }

  private async readSlot(slot: number): Promise<ActiveMarker[]> {
    const markers: ActiveMarker[] = [];
    for await (const item of queryAll(this.store, {
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk', '#touchedAt': 'touchedAt' },
      ExpressionAttributeValues: toAttributes({ ':pk': activePartition(slot) }),
      ProjectionExpression: '#sk, #touchedAt',
    }))
      markers.push({ queue: String(item.sk), touchedAt: Number(item.touchedAt) });
    return markers;
  }

  private async adopt(): Promise<void> {
    for await (const { sk } of queryAll(this.store, {
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
      ExpressionAttributeValues: toAttributes({ ':pk': REGISTRY_PK }),
      ProjectionExpression: '#sk',
    }))
      await this.mark(String(sk));
    await this.store.send(
      new PutItemCommand({
        TableName: this.store.tableName,
        Item: toAttributes({ ...adoptedKey, touchedAt: this.clock() }),
      }),
    );
  }

  /**
   * After the sweep worked on a marked queue: removes a stale marker of a queue that holds
   * nothing (`meta`: its configuration as the sweep read it; undefined: the queue is gone).
   */
  async settle(marker: ActiveMarker, meta: QueueMeta | undefined, now: number): Promise<void> {
    if (now - marker.touchedAt < STALE_MS) return;
    if (meta !== undefined && (await this.holdsAnything(meta))) return;
    try {
      await this.store.send(
        new DeleteItemCommand({
          TableName: this.store.tableName,
          Key: toAttributes(activeKey(marker.queue)),
          ConditionExpression: '#touchedAt = :seen',
          ExpressionAttributeNames: { '#touchedAt': 'touchedAt' },
          ExpressionAttributeValues: toAttributes({ ':seen': marker.touchedAt }),
        }),
      );
      this.marked.delete(marker.queue);
    } catch (error) {
      // Marked again meanwhile (a message is coming): it stays.
      if (classify(error).kind !== 'condition') throw error;
    }
  }

  /** Whether any shard holds a message or any deduplication partition a record (shard by shard, until one does). */
  private async holdsAnything(meta: QueueMeta): Promise<boolean> {
    const first = async (pk: string, prefix: string) => {
      const page = await this.store.send<QueryCommandOutput>(
        new QueryCommand({
          TableName: this.store.tableName,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
          ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
          ExpressionAttributeValues: toAttributes({ ':pk': pk, ':prefix': prefix }),
          ProjectionExpression: '#pk',
          ConsistentRead: true,
          Limit: 1,
        }),
      );
      return (page.Items ?? []).length > 0;
    };
    for (const partition of partitionsOf(meta)) if (await first(partition, MESSAGE_SK_PREFIX)) return true;
    for (const partition of dedupPartitions(meta)) if (await first(partition, DEDUP_SK_PREFIX)) return true;
    return false;
  }
}
