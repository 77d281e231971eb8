/**
 * Redrive: moves messages out of a queue used as a dead-letter queue, in delivery order, one
 * transaction each (dead-letter.ts): to `to`, or each back to the queue it came from. Messages in
 * flight stay (a consumer holds them), and so do the group members behind them; without `to`,
 * only messages that carry `deadLetter` move. A group moves in its order.
 */
import { type AttributeValue, QueryCommand, type QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import { fetchMessages } from './batch-get';
import { moveMessage } from './dead-letter';
import type { Clock } from './engine';
import { QueueNotFoundError } from './errors';
import { READY_FROM, TIMERS_TO } from './keys';
import { effectiveState, type MessageItem } from './message-item';
import { availabilityQuery } from './query';
import type { QueueMetaCache } from './queue-meta';
import { partitionsOf } from './shards';
import type { Signals } from './signals';
import { fromAttributes, type Store } from './store';

const PAGE = 25;

export class Redriver {
  constructor(
    private readonly store: Store,
    private readonly metas: QueueMetaCache,
    private readonly clock: Clock,
    private readonly signals: Signals,
  ) {}

  async redrive(queue: string, options: { to?: string; maxMessages?: number }): Promise<{ moved: number }> {
    const meta = await this.metas.get(queue);
    if (options.to !== undefined) await this.metas.read(options.to);
    const limit = options.maxMessages ?? Number.POSITIVE_INFINITY;
    const missing = new Set<string>();
    let moved = 0;
    // Ready and timers, in delivery order. A group's waiting members are not read: each joins the
    // ready or timer range when the member before it moves, and the next pass moves it, so a
    // group arrives in its order and none of it stays behind (members behind a head in flight
    // stay with it). Passes go on while one moves something.
    for (let movedInPass = -1; movedInPass !== 0 && moved < limit; ) {
      movedInPass = 0;
      // A sharded queue: each shard in turn (a group lives in one shard, so it still moves in order).
      for (const partition of partitionsOf(meta)) {
        let startKey: Record<string, AttributeValue> | undefined;
        do {
          const page = await this.page(partition, { from: READY_FROM, to: TIMERS_TO }, startKey);
          startKey = page.lastKey;
          for (const item of page.items) {
            if (moved >= limit) return { moved };
            const now = this.clock();
            if (effectiveState(item, now) === 'inFlight') continue;
            const target = options.to ?? item.deadLetter?.sourceQueue;
            if (target === undefined || missing.has(target)) continue;
            try {
              const ok = await moveMessage(this.store, this.metas, this.signals, {
                old: item,
                condition: {
                  expression: '#ask = :seen',
                  names: { '#ask': 'ask' },
                  values: { ':seen': item.ask },
                },
                target,
                deadLetter: null,
                now,
              });
              if (ok) {
                moved++;
                movedInPass++;
              }
            } catch (error) {
              // The source queue of these dead letters is gone: they stay here.
              if (!(error instanceof QueueNotFoundError) || options.to !== undefined) throw error;
              missing.add(target);
            }
          }
        } while (startKey);
      }
    }
    return { moved };
  }

  private async page(
    partition: string,
    range: { from: string; to: string },
    startKey?: Record<string, AttributeValue>,
  ): Promise<{ items: MessageItem[]; lastKey?: Record<string, AttributeValue> }> {
    const output = await this.store.send<QueryCommandOutput>(
      new QueryCommand({
        ...availabilityQuery(partition, range, { limit: PAGE }),
        TableName: this.store.tableName,
        ExclusiveStartKey: startKey,
      }),
    );
    const keys = (output.Items ?? []).map((raw) => {
      const { pk, sk } = fromAttributes(raw) as { pk: string; sk: string };
      return { pk, sk };
    });
    return { items: await fetchMessages(this.store, keys), lastKey: output.LastEvaluatedKey };
  }
}
