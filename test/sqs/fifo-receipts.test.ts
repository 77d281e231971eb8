/** Receipts of queues named `<name>.fifo` (functions/core/receipts.ts still reads them; the SQS endpoint now keeps a FIFO queue under its base name, see functions/sqs/queue-url.ts). */
import { describe, expect, it } from 'vitest';
import { formatReceipt, newLeaseToken, parseReceipt } from '../../functions/core/receipts';

const receipt = (queue: string) => ({
  queue,
  inc: 'inc1',
  id: 'id1',
  token: newLeaseToken(),
  orderKey: '9000000000000001',
});

describe('parseReceipt', () => {
  it('reads back the receipt of a .fifo queue and of a plain one', () => {
    for (const queue of ['orders.fifo', 'orders']) {
      const given = receipt(queue);
      expect(parseReceipt(queue, formatReceipt(given))).toEqual(given);
    }
  });

  it('refuses any other dotted name, and a .fifo receipt given for its plain namesake', () => {
    const dotted = formatReceipt(receipt('orders.fifo')).replace('.fifo.', '.other.');
    expect(() => parseReceipt('orders.other', dotted)).toThrow('malformed');
    expect(() => parseReceipt('orders', formatReceipt(receipt('orders.fifo')))).toThrow('not issued');
  });
});
