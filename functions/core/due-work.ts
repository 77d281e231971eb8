/**
 * The timed work. Receives already treat due timers as ready, so this is about keeping the
 * ready range in strict delivery order and the store tidy, not about liveness:
 *
 *   promote   UpdateItem SET state = ready, ask = R<ok> [REMOVE leaseExpiresAt]  IF ask = :seen
 *             (an expired lease keeps its token: its receipt holds until the next receive)
 *   drop      remove.ts  IF ask = :seen AND retainUntil <= :now      (retention)
 *   dead-letter  dead-letter.ts, for an ended lease that used up the queue's maxReceiveCount
 */
import {
  type AttributeValue,
  DeleteItemCommand,
  QueryCommand,
  type QueryCommandOutput,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { isExhausted, moveMessage } from './dead-letter';
import type { Clock } from './engine';
import { QueueNotFoundError } from './errors';
import {
  DEDUP_SK_PREFIX,
  dueTimersUpTo,
  messagePartition,
  orderKeyOf,
  queueMetaKey,
  READY_FROM,
  READY_TO,
  REGISTRY_PK,
  readyKey,
} from './keys';
import type { MessageItem } from './message-item';
import type { QueueMeta, QueueMetaCache } from './queue-meta';
import { removeMessage } from './remove';
import type { Signals } from './signals';
import { fromAttributes, isConditionFailure, type Store, toAttributes } from './store';
import { TABLE } from './table';

interface IndexEntry {
  pk: string;
  sk: string;
  ask: string;
  state: string;
  retainUntil: number;
  receiveCount: number;
}

/** How often ready messages are checked for retention (they have no timer of their own). */
const RETENTION_SWEEP_MS = 60_000;
const PAGE = 100;

export class DueWork {
  private lastRetentionSweep = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly store: Store,
    private readonly metas: QueueMetaCache,
    private readonly clock: Clock,
    private readonly signals: Signals,
  ) {}

  async run(): Promise<void> {
    const now = this.clock();
    const sweepRetention = now - this.lastRetentionSweep >= RETENTION_SWEEP_MS;
    if (sweepRetention) this.lastRetentionSweep = now;
    for await (const queue of this.queueNames()) {
      const meta = await this.metas.get(queue).catch((error: unknown) => {
        if (error instanceof QueueNotFoundError) return undefined;
        throw error;
      });
      if (!meta) continue;
      const partition = messagePartition(queue, meta.inc);
      const promoted = await this.promoteDue(meta, partition, now);
      if (promoted > 0) this.signals.notify(`available:${queue}`);
      if (sweepRetention) {
        await this.dropExpiredReady(partition, now);
        await this.dropExpiredDedupRecords(queue, now);
      }
    }
  }

  private async *queueNames(): AsyncGenerator<string> {
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page: QueryCommandOutput = await this.store.send(
        new QueryCommand({
          TableName: this.store.tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
          ExpressionAttributeValues: toAttributes({ ':pk': REGISTRY_PK }),
          ProjectionExpression: '#sk',
          ExclusiveStartKey: startKey,
        }),
      );
      for (const raw of page.Items ?? []) yield String(fromAttributes(raw)?.sk);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  private async query(
    partition: string,
    range: { from: string; to: string },
    options: {
      filter?: string;
      values?: Record<string, unknown>;
      startKey?: Record<string, AttributeValue>;
    } = {},
  ) {
    const { filter, values, startKey } = options;
    const { availabilityIndex: index } = TABLE;
    const output = await this.store.send<QueryCommandOutput>(
      new QueryCommand({
        TableName: this.store.tableName,
        IndexName: index.name,
        KeyConditionExpression: '#apk = :apk AND #ask BETWEEN :from AND :to',
        ...(filter ? { FilterExpression: filter } : {}),
        ExpressionAttributeNames: {
          '#apk': index.partitionKey,
          '#ask': index.sortKey,
          ...(filter ? { '#retainUntil': 'retainUntil' } : {}),
        },
        ExpressionAttributeValues: toAttributes({
          ':apk': partition,
          ':from': range.from,
          ':to': range.to,
          ...values,
        }),
        Limit: PAGE,
        ExclusiveStartKey: startKey,
      }),
    );
    const entries = (output.Items ?? []).map((raw) => fromAttributes(raw) as unknown as IndexEntry);
    return { entries, lastKey: output.LastEvaluatedKey };
  }

  /** Moves due delayed messages and expired leases into the ready range, at their old place. */
  private async promoteDue(meta: QueueMeta, partition: string, now: number): Promise<number> {
    let promoted = 0;
    // One page a run: a backlog larger than that is taken over the next runs (receives do not wait for it).
    const { entries } = await this.query(partition, { from: 'T', to: dueTimersUpTo(now) });
    for (const entry of entries) {
      if (entry.retainUntil <= now) {
        await this.drop(entry, now);
        continue;
      }
      const expiredLease = entry.state === 'inFlight';
      if (expiredLease && isExhausted(meta, entry)) {
        await moveMessage(this.store, this.metas, this.signals, {
          old: entry as unknown as MessageItem,
          condition: { expression: '#ask = :seen', names: { '#ask': 'ask' }, values: { ':seen': entry.ask } },
          target: meta.deadLetterQueue as string,
          deadLetter: { sourceQueue: meta.name, receiveCount: entry.receiveCount, reason: 'maxReceiveCount' },
          now,
        });
        continue;
      }
      try {
        await this.store.send(
          new UpdateItemCommand({
            TableName: this.store.tableName,
            Key: toAttributes({ pk: entry.pk, sk: entry.sk }),
            UpdateExpression: `SET #state = :ready, #ask = :ready_key${expiredLease ? ' REMOVE #leaseExpiresAt' : ''}`,
            ConditionExpression: '#ask = :seen',
            ExpressionAttributeNames: {
              '#state': 'state',
              '#ask': 'ask',
              ...(expiredLease ? { '#leaseExpiresAt': 'leaseExpiresAt' } : {}),
            },
            ExpressionAttributeValues: toAttributes({
              ':ready': 'ready',
              ':ready_key': readyKey(orderKeyOf(entry.ask)),
              ':seen': entry.ask,
            }),
          }),
        );
        promoted++;
      } catch (error) {
        // Received, acked or extended meanwhile: nothing to do.
        if (!isConditionFailure(error)) throw error;
      }
    }
    return promoted;
  }

  /**
   * Deduplication records past their window are already ignored by publishes; this frees them
   * where DynamoDB TTL does not run (DynamoDB Local) and ahead of TTL elsewhere.
   */
  private async dropExpiredDedupRecords(queue: string, now: number): Promise<void> {
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page: QueryCommandOutput = await this.store.send(
        new QueryCommand({
          TableName: this.store.tableName,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
          FilterExpression: '#expiresAt <= :now',
          ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk', '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: toAttributes({
            ':pk': queueMetaKey(queue).pk,
            ':prefix': DEDUP_SK_PREFIX,
            ':now': now,
          }),
          ProjectionExpression: '#pk, #sk',
          ExclusiveStartKey: startKey,
        }),
      );
      for (const Key of page.Items ?? []) {
        await this.store
          .send(
            new DeleteItemCommand({
              TableName: this.store.tableName,
              Key,
              // Re-used meanwhile by a new publish: keep it.
              ConditionExpression: '#expiresAt <= :now',
              ExpressionAttributeNames: { '#expiresAt': 'expiresAt' },
              ExpressionAttributeValues: toAttributes({ ':now': now }),
            }),
          )
          .catch((error: unknown) => {
            if (!isConditionFailure(error)) throw error;
          });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  private async dropExpiredReady(partition: string, now: number): Promise<void> {
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.query(
        partition,
        { from: READY_FROM, to: READY_TO },
        { filter: '#retainUntil <= :now', values: { ':now': now }, startKey },
      );
      for (const entry of page.entries) await this.drop(entry, now);
      startKey = page.lastKey;
    } while (startKey);
  }

  private async drop(entry: IndexEntry, now: number): Promise<void> {
    await removeMessage(
      this.store,
      entry,
      {
        expression: '#ask = :seen AND #retainUntil <= :now',
        names: { '#ask': 'ask', '#retainUntil': 'retainUntil' },
        values: { ':seen': entry.ask, ':now': now },
      },
      { now },
    );
  }
}
