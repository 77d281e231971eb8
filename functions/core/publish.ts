/**
 * Publishing. Order comes from the store, never from a clock: one UpdateItem reserves a range of
 * the queue's sequence (and returns the fresh configuration), then the messages are written.
 *
 *   reserve   UpdateItem #META  ADD seq :n  IF attribute_exists(pk)  → ALL_NEW (config, inc, seq)
 *   store     unbounded: PutItem (one) / BatchWriteItem (many, UnprocessedItems retried)
 *             bounded:   TransactWrite [Put message(s) counted] + [#SIZE ADD n IF size <= max - n]
 *
 * A message id is 128 random bits (base64url, 22 characters): unique without coordination.
 */
import { randomBytes } from 'node:crypto';
import {
  PutItemCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type UpdateItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { batchWrite, putRequest } from './batch-write';
import type { Clock, PublishOptions } from './engine';
import { QueueFullError, QueueNotFoundError } from './errors';
import { messagePartition, queueMetaKey } from './keys';
import { type MessageItem, newMessageItem } from './message-item';
import { metaFromItem, type QueueMeta, type QueueMetaCache } from './queue-meta';
import { backoff, type Signals } from './signals';
import { readSize, sizeReserve } from './size';
import { cancellationOf, fromAttributes, isConditionFailure, type Store, toAttributes } from './store';
import type { BatchEntry, PublishInput, PublishResult } from './types';

export const newMessageId = () => randomBytes(16).toString('base64url');

export class Publisher {
  constructor(
    private readonly store: Store,
    private readonly metas: QueueMetaCache,
    private readonly clock: Clock,
    private readonly signals: Signals,
  ) {}

  async publish(queue: string, inputs: PublishInput[], options: PublishOptions = {}) {
    const meta = await this.reserveSequence(queue, inputs.length);
    const now = this.clock();
    const firstSeq = meta.seq - inputs.length + 1;
    const bounded = meta.maxMessages > 0;
    const items = inputs.map((input, i) => this.toItem(meta, input, firstSeq + i, now, bounded));
    const results: BatchEntry<PublishResult>[] = bounded
      ? await this.storeBounded(meta, items, options)
      : await this.storeUnbounded(items);
    if (items.some((item) => item.state === 'ready')) this.signals.notify(`available:${queue}`);
    return results;
  }

  private async reserveSequence(queue: string, count: number): Promise<QueueMeta> {
    try {
      const output = await this.store.send<UpdateItemCommandOutput>(
        new UpdateItemCommand({
          TableName: this.store.tableName,
          Key: toAttributes(queueMetaKey(queue)),
          UpdateExpression: 'ADD #seq :n',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#seq': 'seq', '#pk': 'pk' },
          ExpressionAttributeValues: toAttributes({ ':n': count }),
          ReturnValues: 'ALL_NEW',
        }),
      );
      const meta = metaFromItem(fromAttributes(output.Attributes) ?? {});
      this.metas.remember(meta);
      return meta;
    } catch (error) {
      if (isConditionFailure(error)) {
        this.metas.forget(queue);
        throw new QueueNotFoundError(queue);
      }
      throw error;
    }
  }

  private toItem(
    meta: QueueMeta,
    input: PublishInput,
    seq: number,
    now: number,
    counted: boolean,
  ): MessageItem {
    const requested = input.deliverAt ?? now + (input.delaySeconds ?? meta.delaySeconds) * 1000;
    return newMessageItem({
      queue: meta.name,
      inc: meta.inc,
      order: meta.order,
      id: newMessageId(),
      seq,
      body: JSON.stringify(input.body),
      attributes: input.attributes ?? {},
      priority: input.priority ?? 0,
      groupId: input.groupId,
      publishedAt: now,
      deliverAt: Math.max(now, requested),
      retentionSeconds: meta.retentionSeconds,
      counted,
    });
  }

  private async storeUnbounded(items: MessageItem[]): Promise<BatchEntry<PublishResult>[]> {
    if (items.length === 1) {
      await this.store.send(
        new PutItemCommand({ TableName: this.store.tableName, Item: toAttributes(items[0]!) }),
      );
    } else {
      await batchWrite(this.store, items.map(putRequest));
    }
    return items.map((item) => ({ ok: true, value: resultOf(item) }));
  }

  /**
   * Takes as many messages as there is room for, in input order; waits up to `waitSeconds` for
   * room for the rest, then fails each remaining one with QueueFull.
   */
  private async storeBounded(meta: QueueMeta, items: MessageItem[], options: PublishOptions) {
    const results: BatchEntry<PublishResult>[] = [];
    const deadline = performance.now() + (options.waitSeconds ?? 0) * 1000;
    let pending = items;
    for (let attempt = 0; pending.length > 0; attempt++) {
      const room = meta.maxMessages - (await readSize(this.store, messagePartition(meta.name, meta.inc)));
      const take = pending.slice(0, Math.max(0, room));
      if (take.length > 0 && (await this.tryStoreCounted(meta, take))) {
        results.push(...take.map((item) => ({ ok: true as const, value: resultOf(item) })));
        pending = pending.slice(take.length);
        attempt = -1;
        continue;
      }
      const left = deadline - performance.now();
      if (left <= 0 || options.signal?.aborted) break;
      await this.signals.wait(`room:${meta.name}`, Math.min(left, backoff(attempt, 50, 500)), options.signal);
    }
    const retryAfterSeconds = 1;
    for (const _ of pending)
      results.push({ ok: false, error: new QueueFullError(meta.name, retryAfterSeconds) });
    return results;
  }

  /** One transaction: the messages and the counter move together or not at all. */
  private async tryStoreCounted(meta: QueueMeta, items: MessageItem[]): Promise<boolean> {
    try {
      await this.store.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            ...items.map((item) => ({ Put: { TableName: this.store.tableName, Item: toAttributes(item) } })),
            sizeReserve(
              this.store.tableName,
              messagePartition(meta.name, meta.inc),
              items.length,
              meta.maxMessages,
            ),
          ],
        }),
      );
      return true;
    } catch (error) {
      const cancellation = cancellationOf(error);
      if (cancellation && (cancellation.failedIndex === items.length || cancellation.conflict)) return false;
      throw error;
    }
  }
}

const resultOf = (item: MessageItem): PublishResult => ({
  id: item.id,
  deliverAt: item.deliverAt,
  duplicate: false,
});
