/**
 * What a batch of DynamoDB stream records asks of the dispatcher. The event source mapping's
 * filter (infra/constructs/dispatcher.ts) lets through only inserts and updates of message items
 * of queues that have consumers, whose new availability key is ready (`R…`) or a timer (`T<due>…`);
 * this reads the same two facts from each record and ignores anything else. Pure.
 */
import type { DynamoDBRecord } from 'aws-lambda';
import { queueOfPartition } from '../core/keys';

export interface StreamWork {
  /** Queues that have a message ready now (or a timer already due). */
  readyQueues: Set<string>;
  /** Due times (epoch ms) of timers in the future: delayed messages and lease ends. */
  timers: number[];
}

const TIMER = /^T(\d{15})/;

export function readStream(records: readonly DynamoDBRecord[], now: number): StreamWork {
  const work: StreamWork = { readyQueues: new Set(), timers: [] };
  for (const record of records) {
    if (record.eventName !== 'INSERT' && record.eventName !== 'MODIFY') continue;
    const image = record.dynamodb?.NewImage;
    const queue = queueOfPartition(image?.apk?.S ?? '');
    const ask = image?.ask?.S;
    if (!queue || !ask) continue;
    if (ask.startsWith('R')) {
      work.readyQueues.add(queue);
      continue;
    }
    const timer = TIMER.exec(ask);
    if (!timer) continue;
    const due = Number(timer[1]);
    if (due <= now) work.readyQueues.add(queue);
    else work.timers.push(due);
  }
  return work;
}
