/**
 * Rescheduling a ready or delayed message: new due time and/or priority, same place in publish
 * order. One read to learn where the message is (in a sharded queue, which shard: shard-lookup.ts), then one conditional write that only succeeds
 * if it is still there (a receive in between makes us look again, and then answer Conflict).
 *
 *   UpdateItem SET deliverAt, prio, ok, ask, state, retainUntil, ttl   IF ask = :seen
 *   (a member waiting behind its group's head: TransactWrite, its pointer item moves too)
 */
import { type TransactWriteItem, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { deadLetterIfExhausted } from './dead-letter';
import type { Clock } from './engine';
import { ConflictError, MessageNotFoundError, ServiceUnavailableError } from './errors';
import { earliestReschedule } from './group-rate';
import { readyKey, timerKey, waitingKey, waitingSortKey } from './keys';
import { effectiveState, isExpired, type MessageItem, toView, ttlFor } from './message-item';
import type { QueueMetaCache } from './queue-meta';
import { findMessage } from './shard-lookup';
import type { Signals } from './signals';
import { classify, type Store, toAttributes } from './store';
import type { MessageView, RescheduleInput } from './types';

export class Rescheduler {
  constructor(
    private readonly store: Store,
    private readonly metas: QueueMetaCache,
    private readonly clock: Clock,
    private readonly signals: Signals,
  ) {}

  async reschedule(queue: string, id: string, input: RescheduleInput): Promise<MessageView> {
    const meta = await this.metas.get(queue);
    for (let attempt = 0; attempt < 5; attempt++) {
      const now = this.clock();
      // GetItem; in a sharded queue, a read of the id in every shard.
      const item = await findMessage(this.store, meta, id);
      if (!item || isExpired(item, now)) throw new MessageNotFoundError(queue, id);
      if (effectiveState(item, now) === 'inFlight') {
        throw new ConflictError(
          `Message '${id}' is in flight; only ready or delayed messages can be rescheduled.`,
        );
      }
      // Its receives are used up (its last lease ended, or maxReceiveCount was lowered): it
      // belongs in the dead-letter queue, not back here.
      const outcome = await deadLetterIfExhausted(this.store, this.metas, this.signals, meta, item, now);
      if (outcome === 'moved' || outcome === 'lost') throw new MessageNotFoundError(queue, id);
      const changed = this.changed(item, input, now, meta.retentionSeconds);
      if (await this.write(item, changed)) return toView(changed, now);
    }
    throw new ServiceUnavailableError('The message is being changed concurrently; retry.');
  }

  private changed(
    item: MessageItem,
    input: RescheduleInput,
    now: number,
    retentionSeconds: number,
  ): MessageItem {
    // A member its group's pace holds (group-rate.ts) is not moved before its start.
    const deliverAt =
      input.deliverAt === undefined
        ? item.deliverAt
        : Math.max(earliestReschedule(item, now), input.deliverAt);
    const prio = input.priority ?? item.prio;
    // Same position in publish order, new priority digit.
    const ok = `${9 - prio}${item.ok.slice(1)}`;
    const delayed = deliverAt > now;
    const retainUntil =
      input.deliverAt === undefined ? item.retainUntil : deliverAt + retentionSeconds * 1000;
    const ask = item.waiting
      ? waitingSortKey(deliverAt, ok)
      : delayed
        ? timerKey(deliverAt, ok)
        : readyKey(ok);
    return {
      ...item,
      deliverAt,
      prio,
      ok,
      ask,
      state: delayed ? 'delayed' : 'ready',
      retainUntil,
      ttl: ttlFor(retainUntil),
    };
  }

  private async write(before: MessageItem, after: MessageItem): Promise<boolean> {
    const writes: TransactWriteItem[] = [
      {
        Update: {
          TableName: this.store.tableName,
          Key: toAttributes({ pk: before.pk, sk: before.sk }),
          UpdateExpression:
            'SET #deliverAt = :deliverAt, #prio = :prio, #ok = :ok, #ask = :ask, #state = :state, #retainUntil = :retainUntil, #ttl = :ttl REMOVE #leaseExpiresAt',
          ConditionExpression: '#ask = :seen',
          ExpressionAttributeNames: {
            '#deliverAt': 'deliverAt',
            '#prio': 'prio',
            '#ok': 'ok',
            '#ask': 'ask',
            '#state': 'state',
            '#retainUntil': 'retainUntil',
            '#ttl': 'ttl',
            '#leaseExpiresAt': 'leaseExpiresAt',
          },
          ExpressionAttributeValues: toAttributes({
            ':deliverAt': after.deliverAt,
            ':prio': after.prio,
            ':ok': after.ok,
            ':ask': after.ask,
            ':state': after.state,
            ':retainUntil': after.retainUntil,
            ':ttl': after.ttl,
            ':seen': before.ask,
          }),
        },
      },
    ];
    if (before.waiting && before.grp !== undefined) {
      writes.push({
        Update: {
          TableName: this.store.tableName,
          Key: toAttributes(waitingKey(before.pk, before.grp, before.seq)),
          UpdateExpression: 'SET #deliverAt = :deliverAt, #ok = :ok',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#deliverAt': 'deliverAt', '#ok': 'ok', '#pk': 'pk' },
          ExpressionAttributeValues: toAttributes({ ':deliverAt': after.deliverAt, ':ok': after.ok }),
        },
      });
    }
    try {
      await this.store.send(new TransactWriteItemsCommand({ TransactItems: writes }));
      return true;
    } catch (error) {
      if (classify(error).kind === 'cancelled') return false;
      throw error;
    }
  }
}
