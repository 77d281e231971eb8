/**
 * Redrive of one message: the whole-queue redrive's move (dead-letter.ts), for one id. The message
 * goes to `to`, or back to the queue it was dead-lettered from, in one transaction; it arrives as
 * a fresh message (receiveCount 0, no deadLetter) at the end of the target's publish order, with
 * its id, body, attributes, priority and group, as redrive.ts moves them.
 *
 *   GetItem message (consistent)  →  move IF ask is still what was read
 */
import { GetItemCommand, type GetItemCommandOutput } from '@aws-sdk/client-dynamodb';
import { moveMessage } from './dead-letter';
import type { Clock } from './engine';
import { ConflictError, MessageNotFoundError, ValidationError } from './errors';
import { asMessageItem, effectiveState, isExpired, type MessageItem } from './message-item';
import type { QueueMetaCache } from './queue-meta';
import { findMessage } from './shard-lookup';
import type { Signals } from './signals';
import { fromAttributes, type Store, toAttributes } from './store';

export class MessageRedriver {
  constructor(
    private readonly store: Store,
    private readonly metas: QueueMetaCache,
    private readonly clock: Clock,
    private readonly signals: Signals,
  ) {}

  async redrive(queue: string, id: string, options: { to?: string }): Promise<{ queue: string; id: string }> {
    const meta = await this.metas.get(queue);
    if (options.to !== undefined) await this.metas.read(options.to);
    const item = await findMessage(this.store, meta, id);
    const now = this.clock();
    if (!item || isExpired(item, now)) throw new MessageNotFoundError(queue, id);
    if (effectiveState(item, now) === 'inFlight') {
      throw new ConflictError(
        `Message '${id}' is in flight: a consumer holds it. Redrive it after its lease ends.`,
      );
    }
    const target = options.to ?? item.deadLetter?.sourceQueue;
    if (target === undefined) {
      throw new ConflictError(
        `Message '${id}' is not a dead letter: name the queue to move it to with 'to'.`,
      );
    }
    if (target === queue) throw new ValidationError(`'to' cannot be the queue itself ('${queue}').`);
    const moved = await moveMessage(this.store, this.metas, this.signals, {
      old: item,
      condition: { expression: '#ask = :seen', names: { '#ask': 'ask' }, values: { ':seen': item.ask } },
      target,
      deadLetter: null,
      now,
    });
    if (!moved) {
      // Received, rescheduled or removed between the read and the move: nothing moved.
      if (!(await this.read(item))) throw new MessageNotFoundError(queue, id);
      throw new ConflictError(`Message '${id}' changed while it was being moved; nothing moved. Try again.`);
    }
    return { queue: target, id };
  }

  private async read(key: { pk: string; sk: string }): Promise<MessageItem | undefined> {
    const { Item } = await this.store.send<GetItemCommandOutput>(
      new GetItemCommand({ TableName: this.store.tableName, Key: toAttributes(key), ConsistentRead: true }),
    );
    const item = fromAttributes(Item);
    return item && asMessageItem(item);
  }
}
