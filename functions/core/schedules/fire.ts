/**
 * One firing: the message it publishes and the schedule's advance, in ONE transaction.
 *
 *   queue target   UpdateItem target #META ADD seq 1 (its place in publish order; a sharded
 *                  queue: the shard's sequence item, in its group's shard: placement.ts), then
 *   topic target   the same for each matching subscribed queue, then
 *                  TransactWrite [advance (schedule-item.ts), first] + [each queue's unit
 *                  (publish.ts: group join, message, bound)]
 *
 * Outcomes:
 * - `published`: the message is in every target queue and `nextAt` moved on, together;
 * - `lost`: the advance's condition failed: another dispatcher published this firing, or the
 *   schedule was redefined or deleted meanwhile; nothing was written (a reserved sequence number
 *   stays unused, which publish order allows);
 * - `skipped`: the target refused (missing queue or topic, a full bounded queue, a transaction
 *   too large): `nextAt` moves on with `lastError` saying why, so a broken target never blocks
 *   the schedule's later firings.
 * A crash anywhere before the transaction leaves the firing due (the next run publishes it);
 * a crash after it leaves it done. There is no state in between.
 */
import {
  type TransactWriteItem,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { Clock } from '../engine';
import {
  PayloadTooLargeError,
  PostboxError,
  QueueFullError,
  QueueNotFoundError,
  ServiceUnavailableError,
} from '../errors';
import { limitGroupOf, withGroupId } from '../limit-group';
import { type Placement, place } from '../placement';
import { buildEntry, buildUnit, type Entry } from '../publish';
import type { QueueMeta, QueueMetaCache } from '../queue-meta';
import type { Signals } from '../signals';
import { classify, type Store } from '../store';
import { matches, type Topics } from '../topics';
import type { PublishInput } from '../types';
import { advanceParams, type ScheduleRecord } from './schedule-item';
import type { FiredMessage, FiringError } from './types';

export type FiringOutcome =
  | { kind: 'published'; fired: FiredMessage[] }
  | { kind: 'skipped'; error: FiringError }
  | { kind: 'lost' };

const MAX_TRANSACTION_WRITES = 100;
const ATTEMPTS = 5;

/** The message of one firing: the template plus the two attributes that name the firing. */
export function firingInput(record: ScheduleRecord, firedAt: number): PublishInput {
  const { body, attributes, priority, groupId } = record.message;
  return {
    body,
    attributes: {
      ...attributes,
      'postbox.schedule': record.name,
      'postbox.firedAt': new Date(firedAt).toISOString(),
    },
    ...(priority === undefined ? {} : { priority }),
    ...(groupId === undefined ? {} : { groupId }),
  };
}

export class Firer {
  constructor(
    private readonly store: Store,
    private readonly metas: QueueMetaCache,
    private readonly topics: Pick<Topics, 'get'>,
    private readonly signals: Signals,
    private readonly clock: Clock,
  ) {}

  async fire(record: ScheduleRecord, firedAt: number, next: number | null): Promise<FiringOutcome> {
    const input = firingInput(record, firedAt);
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const now = this.clock();
      let targets: { meta: QueueMeta; entry: Entry }[];
      try {
        targets = (await this.placements(record, input)).map(({ meta, seq, groupId, ...home }) => ({
          meta,
          entry: buildEntry(meta, withGroupId(input, groupId), seq, now, home),
        }));
      } catch (error) {
        if (isTargetFault(error)) return this.skip(record, firedAt, next, error as PostboxError);
        throw error;
      }
      const units = await Promise.all(
        targets.map((target) => buildUnit(this.store, target.meta, target.entry, now)),
      );
      const advance: TransactWriteItem = {
        Update: advanceParams(this.store.tableName, record, firedAt, next),
      };
      const writes = [advance, ...units.flatMap((unit) => unit.writes)];
      if (writes.length > MAX_TRANSACTION_WRITES) {
        const tooLarge = new PayloadTooLargeError(
          `A firing to ${targets.length} queues does not fit in one DynamoDB transaction (100 writes).`,
        );
        return this.skip(record, firedAt, next, tooLarge);
      }
      try {
        await this.store.send(new TransactWriteItemsCommand({ TransactItems: writes }));
      } catch (error) {
        const fault = classify(error);
        if (fault.kind !== 'cancelled') throw error;
        if (fault.failedIndex === 0) return { kind: 'lost' };
        const full = fullQueue(units, targets, fault.failedIndex - 1);
        if (full) return this.skip(record, firedAt, next, new QueueFullError(full));
        continue; // a group changed under us or a concurrent transaction: build again
      }
      for (const { meta } of targets) this.signals.notify(`available:${meta.name}`);
      return {
        kind: 'published',
        fired: targets.map(({ meta, entry }) => ({
          schedule: record.name,
          firedAt,
          queue: meta.name,
          id: entry.item.id,
          deliverAt: entry.item.deliverAt,
        })),
      };
    }
    throw new ServiceUnavailableError(
      `Schedule '${record.name}' met concurrent changes of its target; retry.`,
    );
  }

  /**
   * The target queues (topics: the matching subscribed ones), each with its shard (its group's in
   * a sharded queue) and a sequence number reserved there, as a publish places a message.
   */
  private async placements(record: ScheduleRecord, input: PublishInput): Promise<Placement[]> {
    const { target } = record;
    const placeIn = (queue: string) =>
      place(this.store, this.metas, queue, (meta) => limitGroupOf(meta, input), 1);
    if ('queue' in target) return [await placeIn(target.queue)];
    const topic = await this.topics.get(target.topic);
    const attributes = input.attributes ?? {};
    const queues = [
      ...new Set(topic.subscriptions.filter((s) => matches(s, attributes)).map((s) => s.queue)),
    ];
    // As a topic publish does: a subscribed queue that no longer exists is left out.
    const placed = await Promise.all(
      queues.map((queue) =>
        placeIn(queue).catch((error: unknown) => {
          if (error instanceof QueueNotFoundError && error.queue === queue) return undefined;
          throw error;
        }),
      ),
    );
    return placed.filter((placement) => placement !== undefined);
  }

  private async skip(
    record: ScheduleRecord,
    firedAt: number,
    next: number | null,
    cause: PostboxError,
  ): Promise<FiringOutcome> {
    const error: FiringError = { code: cause.code, message: cause.message, firedAt };
    try {
      await this.store.send(
        new UpdateItemCommand(advanceParams(this.store.tableName, record, firedAt, next, error)),
      );
    } catch (failure) {
      if (classify(failure).kind === 'condition') return { kind: 'lost' };
      throw failure;
    }
    return { kind: 'skipped', error };
  }
}

/** Faults of the target, not of the store: the firing is skipped and says why. */
const isTargetFault = (error: unknown) =>
  error instanceof PostboxError && error.code !== 'ServiceUnavailable';

function fullQueue(
  units: { writes: unknown[]; sizeIndex: number }[],
  targets: { meta: QueueMeta }[],
  index: number,
): string | undefined {
  let offset = 0;
  for (const [i, unit] of units.entries()) {
    if (index < offset + unit.writes.length) {
      return index - offset === unit.sizeIndex ? targets[i]?.meta.name : undefined;
    }
    offset += unit.writes.length;
  }
  return undefined;
}
