/**
 * What a receipt can do while it holds its message. Every one is a single conditional write on
 * the message whose condition is "the lease token is still the receipt's": a consumer whose lease
 * was taken over (the message was received again) fails with ReceiptExpired and touches nothing.
 *
 *   ack       see remove.ts                 IF lease = :token
 *   release   UpdateItem SET ready/delayed, REMOVE lease        IF lease = :token AND ok = :ok
 *   extend    UpdateItem SET leaseExpiresAt, ask = T<end><ok>  IF lease = :token AND ok = :ok
 *
 * A lease that merely expired keeps its token until the next receive, so a late ack still works.
 */
import {
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { deadLetterIfExhausted, withoutDeadLetterQueue } from './dead-letter';
import type { Clock } from './engine';
import { ReceiptExpiredError } from './errors';
import { groupRule } from './group-rate';
import { messageKey } from './keys';
import { asMessageItem, type MessageItem } from './message-item';
import type { QueueMeta, QueueMetaCache } from './queue-meta';
import { parseReceipt, type Receipt } from './receipts';
import { removeMessage } from './remove';
import type { Signals } from './signals';
import { classify, type Store, toAttributes } from './store';
import { extendParams, type HeldLease, releaseParams } from './transition-params';
import type { BatchEntry } from './types';

const HOLDS = { expression: '#lease = :token', names: { '#lease': 'lease' } };

export class Leases {
  constructor(
    private readonly store: Store,
    private readonly metas: QueueMetaCache,
    private readonly clock: Clock,
    private readonly signals: Signals,
  ) {}

  /** Checks the receipt belongs to the queue (400) and the queue exists (404, before any 409). */
  private async receipt(queue: string, text: string): Promise<{ receipt: Receipt; meta: QueueMeta }> {
    const receipt = parseReceipt(queue, text);
    const meta = await this.metas.get(queue);
    return { receipt, meta };
  }

  async ack(queue: string, text: string): Promise<void> {
    const { receipt, meta } = await this.receipt(queue, text);
    await this.ackParsed(receipt, meta);
  }

  private async ackParsed(receipt: Receipt, meta: QueueMeta): Promise<void> {
    const removal = await removeMessage(
      this.store,
      messageKey(receipt.queue, receipt.inc, receipt.id, receipt.shard ?? 0),
      { ...HOLDS, values: { ':token': receipt.token } },
      { now: this.clock(), rule: groupRule(meta) },
    );
    if (!removal.removed) throw new ReceiptExpiredError();
    if (removal.old.counted) this.signals.notify(`room:${receipt.queue}`);
  }

  /**
   * Acks many receipts. The common case (all still held, unbounded queue) is one transaction;
   * if anything in it fails, each receipt is acked on its own so every entry gets its own answer.
   */
  async ackBatch(queue: string, texts: string[]): Promise<BatchEntry<void>[]> {
    const meta = await this.metas.get(queue);
    const parsed = texts.map((text): BatchEntry<Receipt> => {
      try {
        return { ok: true, value: parseReceipt(queue, text) };
      } catch (error) {
        return { ok: false, error: error as Error };
      }
    });
    const valid = parsed.flatMap((entry) => (entry.ok ? [entry.value] : []));
    const distinct = new Set(valid.map((receipt) => receipt.id)).size === valid.length;
    if (valid.length === texts.length && distinct && (await this.ackAllAtOnce(valid))) {
      return texts.map(() => ({ ok: true, value: undefined }));
    }
    return Promise.all(
      parsed.map(async (entry): Promise<BatchEntry<void>> => {
        if (!entry.ok) return entry;
        try {
          await this.ackParsed(entry.value, meta);
          return { ok: true, value: undefined };
        } catch (error) {
          return { ok: false, error: error as Error };
        }
      }),
    );
  }

  private async ackAllAtOnce(receipts: Receipt[]): Promise<boolean> {
    try {
      await this.store.send(
        new TransactWriteItemsCommand({
          TransactItems: receipts.map((receipt) => ({
            Delete: {
              TableName: this.store.tableName,
              Key: toAttributes(messageKey(receipt.queue, receipt.inc, receipt.id, receipt.shard ?? 0)),
              // Counted and grouped messages move a counter or a group too: they go one by one.
              ConditionExpression:
                '#lease = :token AND attribute_not_exists(#counted) AND attribute_not_exists(#grp)',
              ExpressionAttributeNames: { '#lease': 'lease', '#counted': 'counted', '#grp': 'grp' },
              ExpressionAttributeValues: toAttributes({ ':token': receipt.token }),
            },
          })),
        }),
      );
      return true;
    } catch (error) {
      if (classify(error).kind === 'cancelled') return false;
      throw error;
    }
  }

  /**
   * Ends the lease now. A message that has used up its receives goes to the dead-letter queue
   * instead (same condition: the receipt must still hold).
   */
  async release(queue: string, text: string, delaySeconds: number): Promise<void> {
    const { receipt, meta } = await this.receipt(queue, text);
    await this.releaseHeld(queue, receipt, meta, delaySeconds);
  }

  private async releaseHeld(
    queue: string,
    receipt: Receipt,
    meta: QueueMeta,
    delaySeconds: number,
  ): Promise<void> {
    const now = this.clock();
    const exhausted = meta.deadLetterQueue !== null && meta.maxReceiveCount !== null;
    const dueAt = now + delaySeconds * 1000;
    const delayed = delaySeconds > 0;
    const released = await this.updateHeld(
      receipt,
      (held) =>
        releaseParams(this.store.tableName, held, {
          dueAt: delayed ? dueAt : null,
          maxReceiveCount: exhausted ? meta.maxReceiveCount : null,
        }),
      exhausted,
    );
    if (released !== 'done') {
      const outcome = await deadLetterIfExhausted(
        this.store,
        this.metas,
        this.signals,
        meta,
        released.old,
        now,
        {
          ...HOLDS,
          values: { ':token': receipt.token },
        },
      );
      // The dead-letter queue is gone: the message goes back as on a queue without one.
      if (outcome === 'no-target')
        return this.releaseHeld(queue, receipt, withoutDeadLetterQueue(meta), delaySeconds);
      if (outcome !== 'moved') throw new ReceiptExpiredError();
      return;
    }
    if (!delayed) this.signals.notify(`available:${queue}`);
  }

  async extend(
    queue: string,
    text: string,
    visibilityTimeoutSeconds: number,
  ): Promise<{ leaseExpiresAt: number }> {
    const { receipt } = await this.receipt(queue, text);
    const leaseExpiresAt = this.clock() + visibilityTimeoutSeconds * 1000;
    await this.updateHeld(receipt, (held) => extendParams(this.store.tableName, held, leaseExpiresAt), false);
    if (visibilityTimeoutSeconds === 0) this.signals.notify(`available:${queue}`);
    return { leaseExpiresAt };
  }

  /**
   * Applies the change built for the message's order key while the receipt holds. The receipt
   * carries the order key so that no read is needed; if a reschedule changed it while the receipt
   * still holds, the change is built again with the current one. When only `change.condition`
   * failed (the receipt still holds), answers the message as it is, for the caller to decide.
   */
  private async updateHeld(
    receipt: Receipt,
    build: (held: HeldLease) => UpdateItemCommandInput,
    /** The change carries a condition beyond the receipt's (release: receives left). */
    extraCondition: boolean,
    orderKey = receipt.orderKey,
  ): Promise<'done' | { old: MessageItem }> {
    const key = messageKey(receipt.queue, receipt.inc, receipt.id, receipt.shard ?? 0);
    try {
      await this.store.send(new UpdateItemCommand(build({ key, token: receipt.token, orderKey })));
      return 'done';
    } catch (error) {
      const fault = classify(error);
      if (fault.kind !== 'condition') throw error;
      const old = fault.oldItem;
      if (old?.lease !== receipt.token) throw new ReceiptExpiredError();
      if (old.ok !== orderKey && orderKey === receipt.orderKey && typeof old.ok === 'string') {
        return this.updateHeld(receipt, build, extraCondition, old.ok);
      }
      if (extraCondition && old.ok === orderKey) return { old: asMessageItem(old) };
      throw new ReceiptExpiredError();
    }
  }
}
