/**
 * The timed work, shard by shard on a sharded queue. Receives already treat due timers as ready, so this is about keeping the
 * ready range in strict delivery order and the store tidy, not about liveness:
 *
 *   promote      UpdateItem SET state = ready, ask = R<ok> [REMOVE leaseExpiresAt]  IF ask = :seen
 *                (an expired lease keeps its token: its receipt holds until the next receive)
 *   dead-letter  dead-letter.ts, for an ended lease that used up the queue's maxReceiveCount
 *   drop         remove.ts  IF ask = :seen AND retainUntil <= :now      (retention)
 *   forget       DeleteItem D#<id>  IF expiresAt <= :now                 (deduplication window)
 */
import {
  DeleteItemCommand,
  QueryCommand,
  type QueryCommandOutput,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { ActiveQueues } from './active-queues';
import { deadLetterIfExhausted } from './dead-letter';
import { dedupPartitions } from './dedup-keys';
import type { Clock } from './engine';
import { QueueNotFoundError, ServiceUnavailableError } from './errors';
import { DEDUP_SK_PREFIX, dueOfTimer, dueTimersUpTo, READY_FROM, READY_TO, TIMERS_TO } from './keys';
import { availabilityQuery, queryAll } from './query';
import type { QueueMeta, QueueMetaCache } from './queue-meta';
import { dropExpired } from './remove';
import { partitionsOf } from './shards';
import type { Signals } from './signals';
import { classify, fromAttributes, type Store, toAttributes } from './store';
import { promoteParams } from './transition-params';

interface IndexEntry {
  pk: string;
  sk: string;
  ask: string;
  state: string;
  retainUntil: number;
  receiveCount: number;
}

/** How often ready messages and dedup records are checked for their time (they have no timer). */
const RETENTION_SWEEP_MS = 60_000;
/** Due timers taken per queue and run: a larger backlog is taken over the next runs. */
const PAGE = 100;

export class DueWork {
  private lastRetentionSweep = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly store: Store,
    private readonly metas: QueueMetaCache,
    private readonly clock: Clock,
    private readonly signals: Signals,
    private readonly active: ActiveQueues = new ActiveQueues(store, metas, clock),
  ) {}

  async run(): Promise<void> {
    const now = this.clock();
    const sweepRetention = now - this.lastRetentionSweep >= RETENTION_SWEEP_MS;
    if (sweepRetention) this.lastRetentionSweep = now;
    // One queue that fails must not keep the others waiting: each is done on its own, and the
    // first failure is reported once every queue had its turn (the store being unavailable ends
    // the run at once: every other queue would fail the same way).
    let failure: unknown;
    // Only queues marked active (active-queues.ts): an idle queue costs the sweep nothing.
    for (const marker of await this.active.markers()) {
      try {
        const meta = await this.workOn(marker.queue, now, sweepRetention);
        await this.active.settle(marker, meta, now);
      } catch (error) {
        if (error instanceof ServiceUnavailableError) throw error;
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  }

  /** Promotes one queue's due timers (and tidies it when asked); undefined when it does not exist. */
  private async workOn(queue: string, now: number, tidy: boolean): Promise<QueueMeta | undefined> {
    const meta = await this.metas.get(queue).catch((error: unknown) => {
      if (error instanceof QueueNotFoundError) return undefined;
      throw error;
    });
    if (!meta) return undefined;
    // A sharded queue: every shard (each its own partition and timers).
    let promoted = 0;
    for (const partition of partitionsOf(meta)) promoted += await this.promoteDue(meta, partition, now);
    if (promoted > 0) this.signals.notify(`available:${queue}`);
    if (tidy) {
      for (const partition of partitionsOf(meta)) await this.dropExpiredReady(partition, now);
      for (const partition of dedupPartitions(meta)) await this.forgetExpiredDedupRecords(partition, now);
    }
    return meta;
  }

  /**
   * One queue's timed work, for a caller that knows which queues need it (the local runtime
   * wakes a queue at its next due time instead of sweeping them all): what `run` does for every
   * queue, with the retention and deduplication clean-up only when `tidy` is asked for. Answers
   * when the queue's earliest timer left comes due (at or before now: more is due than one run
   * takes), or null when it has none or does not exist.
   */
  async runQueue(queue: string, options: { tidy?: boolean } = {}): Promise<{ nextDueAt: number | null }> {
    const meta = await this.workOn(queue, this.clock(), options.tidy ?? false);
    if (!meta) return { nextDueAt: null };
    let nextDueAt: number | null = null;
    for (const partition of partitionsOf(meta)) {
      const due = await this.earliestTimer(partition);
      if (due !== null && (nextDueAt === null || due < nextDueAt)) nextDueAt = due;
    }
    return { nextDueAt };
  }

  private async earliestTimer(partition: string): Promise<number | null> {
    const next = await this.store.send<QueryCommandOutput>(
      new QueryCommand({
        ...availabilityQuery(partition, { from: 'T', to: TIMERS_TO }, { limit: 1 }),
        ProjectionExpression: '#ask',
        TableName: this.store.tableName,
      }),
    );
    const ask = next.Items?.[0] ? String(fromAttributes(next.Items[0])?.ask) : undefined;
    return ask === undefined ? null : (dueOfTimer(ask) ?? null);
  }

  /** Moves due delayed messages and expired leases into the ready range, at their old place. */
  private async promoteDue(meta: QueueMeta, partition: string, now: number): Promise<number> {
    const page = await this.store.send<QueryCommandOutput>(
      new QueryCommand({
        ...availabilityQuery(partition, { from: 'T', to: dueTimersUpTo(now) }, { limit: PAGE }),
        TableName: this.store.tableName,
      }),
    );
    let promoted = 0;
    for (const raw of page.Items ?? []) {
      const entry = fromAttributes(raw) as unknown as IndexEntry;
      const expiredLease = entry.state === 'inFlight';
      if (entry.retainUntil <= now) await dropExpired(this.store, entry, now);
      // Any due timer whose receives are used up: an ended last lease, or a delayed message of a
      // queue whose maxReceiveCount was lowered meanwhile.
      // ('no-target': the dead-letter queue is gone, the message goes back like any other.)
      else if (!['fresh', 'no-target'].includes(await this.deadLetter(meta, entry, now))) continue;
      else if (await this.promote(entry, expiredLease)) promoted++;
    }
    return promoted;
  }

  private async promote(entry: IndexEntry, expiredLease: boolean): Promise<boolean> {
    try {
      await this.store.send(new UpdateItemCommand(promoteParams(this.store.tableName, entry, expiredLease)));
      return true;
    } catch (error) {
      // Received, acked or extended meanwhile: nothing to do.
      if (classify(error).kind !== 'condition') throw error;
      return false;
    }
  }

  private deadLetter(meta: QueueMeta, entry: IndexEntry, now: number) {
    return deadLetterIfExhausted(this.store, this.metas, this.signals, meta, entry, now);
  }

  private async dropExpiredReady(partition: string, now: number): Promise<void> {
    const expired = queryAll(
      this.store,
      availabilityQuery(
        partition,
        { from: READY_FROM, to: READY_TO },
        { filter: '#retainUntil <= :now', names: { '#retainUntil': 'retainUntil' }, values: { ':now': now } },
      ),
    );
    for await (const entry of expired) await dropExpired(this.store, entry as unknown as IndexEntry, now);
  }

  /**
   * Deduplication records past their window are already ignored by publishes; this frees them
   * where DynamoDB TTL does not run (DynamoDB Local) and ahead of TTL elsewhere.
   */
  private async forgetExpiredDedupRecords(partition: string, now: number): Promise<void> {
    const expired = queryAll(this.store, {
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      FilterExpression: '#expiresAt <= :now',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk', '#expiresAt': 'expiresAt' },
      ExpressionAttributeValues: toAttributes({
        ':pk': partition,
        ':prefix': DEDUP_SK_PREFIX,
        ':now': now,
      }),
      ProjectionExpression: '#pk, #sk',
    });
    for await (const { pk, sk } of expired) {
      await this.store
        .send(
          new DeleteItemCommand({
            TableName: this.store.tableName,
            Key: toAttributes({ pk, sk }),
            // Taken again meanwhile by a new publish: keep it.
            ConditionExpression: '#expiresAt <= :now',
            ExpressionAttributeNames: { '#expiresAt': 'expiresAt' },
            ExpressionAttributeValues: toAttributes({ ':now': now }),
          }),
        )
        .catch((error: unknown) => {
          if (classify(error).kind !== 'condition') throw error;
        });
    }
  }
}
