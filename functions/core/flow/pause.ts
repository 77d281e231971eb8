/**
 * Pausing a queue: receives answer nothing and consumers are not invoked (they claim through
 * receive), while publishes, counts and browsing go on. The flag `paused` lives on the queue's
 * #META item, next to its configuration, so a receive learns it from the configuration it reads
 * anyway (the cached one: no request of its own, O(1)):
 *
 *   pause / resume   TransactWrite: Update #META SET paused IF attribute_exists(pk)
 *                                   + Update registry copy SET paused (listing shows it)
 *
 * Through the same process it applies at once (the cache entry is dropped, long polls are woken);
 * through another process within that process's config cache time (`configCacheMs`, 1 s).
 */
import { TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { QueueNotFoundError } from '../errors';
import { queueMetaKey, registryKey } from '../keys';
import type { QueueMeta, QueueMetaCache } from '../queue-meta';
import type { Signals } from '../signals';
import { classify, type Store, toAttributes } from '../store';

/** A paused queue delivers nothing (docs/api.md, "pause"). */
export const isPaused = (meta: Pick<QueueMeta, 'paused'>) => meta.paused === true;

/** Condition part "paused is still as read", for writes that copy the flag (the queue update). */
export function pausedCondition(paused: boolean) {
  return paused
    ? { expression: '#paused = :paused', names: { '#paused': 'paused' }, values: { ':paused': true } }
    : {
        expression: '(attribute_not_exists(#paused) OR #paused = :paused)',
        names: { '#paused': 'paused' },
        values: { ':paused': false },
      };
}

export class Pauser {
  constructor(
    private readonly store: Store,
    private readonly metas: QueueMetaCache,
    private readonly signals: Signals,
  ) {}

  async setPaused(queue: string, paused: boolean): Promise<void> {
    const set = (key: { pk: string; sk: string }) => ({
      Update: {
        TableName: this.store.tableName,
        Key: toAttributes(key),
        UpdateExpression: 'SET #paused = :paused',
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: { '#paused': 'paused', '#pk': 'pk' },
        ExpressionAttributeValues: toAttributes({ ':paused': paused }),
      },
    });
    for (let attempt = 0; ; attempt++) {
      try {
        await this.store.send(
          new TransactWriteItemsCommand({
            TransactItems: [set(queueMetaKey(queue)), set(registryKey(queue))],
          }),
        );
        break;
      } catch (error) {
        const fault = classify(error);
        if (fault.kind === 'cancelled' && fault.failedIndex >= 0) throw new QueueNotFoundError(queue);
        // A concurrent publish's sequence update met the transaction: simply again.
        if (fault.kind === 'cancelled' && fault.conflict && attempt < 5) continue;
        throw error;
      } finally {
        this.metas.forget(queue);
      }
    }
    // Long polls of this process look again now instead of at their next step.
    if (!paused) this.signals.notify(`available:${queue}`);
  }
}
