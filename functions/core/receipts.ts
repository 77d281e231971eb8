/**
 * Receipts name one lease: `pb1.<queue>.<incarnation>.<message id>.<lease token>.<order key>`;
 * in shard s > 0 of a sharded queue `pb2.<queue>.<incarnation>.<s>.<message id>.<token>.<order key>`.
 * The token is 128 random bits stored on the message while the lease holds, so a receipt cannot
 * be guessed, and it is bound to its queue (checked here, 400 when it is another queue's) and to
 * its message (checked by the store's condition, 409 when the lease is gone). The order key lets a
 * release or extend rebuild the message's index key without reading it first; the store's
 * condition checks it against the message, so a changed one is refused like a stale lease.
 */
import { randomBytes } from 'node:crypto';
import { InvalidReceiptError } from './errors';
import { ORDER_KEY_PATTERN } from './keys';

const PREFIX = 'pb1';
const SHARDED_PREFIX = 'pb2';
const SHARD = /^[1-9][0-9]{0,3}$/;
const PART = /^[A-Za-z0-9_-]{1,128}$/;

export interface Receipt {
  queue: string;
  inc: string;
  id: string;
  token: string;
  orderKey: string;
  /** The shard of a sharded queue, when not 0. */
  shard?: number;
}

export const newLeaseToken = () => randomBytes(16).toString('base64url');

export function formatReceipt(receipt: Receipt): string {
  // Queue names are [A-Za-z0-9_-], or an SQS FIFO queue's `<name>.fifo`: the name stands in the
  // receipt as it is, and the parser takes the four fixed parts from the right.
  const { shard } = receipt;
  return (
    shard === undefined || shard === 0
      ? [PREFIX, receipt.queue, receipt.inc, receipt.id, receipt.token, receipt.orderKey]
      : [
          SHARDED_PREFIX,
          receipt.queue,
          receipt.inc,
          String(shard),
          receipt.id,
          receipt.token,
          receipt.orderKey,
        ]
  ).join('.');
}

/** Parses a receipt given for `queue`; malformed or another queue's: InvalidReceiptError. */
export function parseReceipt(queue: string, text: string): Receipt {
  const all = text.split('.');
  // A sharded receipt: the shard stands after the incarnation; without it, a pb1 receipt.
  const sharded = all[0] === SHARDED_PREFIX && all.length >= 7;
  const shardText = sharded ? (all[all.length - 4] as string) : undefined;
  if (sharded && !SHARD.test(shardText ?? '')) throw new InvalidReceiptError('The receipt is malformed.');
  const parts = sharded ? [PREFIX, ...all.slice(1, -5), ...all.slice(-5, -4), ...all.slice(-3)] : all;
  const queueParts = parts.slice(1, -4);
  const fifoName = queueParts.length === 2 && queueParts[1] === 'fifo';
  if (
    parts.length < 6 ||
    parts[0] !== PREFIX ||
    (queueParts.length !== 1 && !fifoName) ||
    ![queueParts[0], ...parts.slice(-4)].every((part) => PART.test(part ?? ''))
  ) {
    throw new InvalidReceiptError('The receipt is malformed.');
  }
  const receiptQueue = queueParts.join('.');
  const [inc, id, token, orderKey] = parts.slice(-4) as [string, string, string, string];
  if (token.length < 22 || !ORDER_KEY_PATTERN.test(orderKey))
    throw new InvalidReceiptError('The receipt is malformed.');
  if (receiptQueue !== queue) {
    throw new InvalidReceiptError(`The receipt was not issued for queue '${queue}'.`);
  }
  return {
    queue,
    inc,
    id,
    token,
    orderKey,
    ...(shardText === undefined ? {} : { shard: Number(shardText) }),
  };
}
