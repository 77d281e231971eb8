/**
 * The event a consumer handler receives: shaped like an SQS event source's, so a handler written
 * for SQS (and its `batchItemFailures` answer) works unchanged. Pure: no I/O, no clock of its own.
 */
import { createHash } from 'node:crypto';
import type { SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import type { DeliveredMessage } from '../core/types';

/** Where the records say they come from. */
export interface EventSource {
  queue: string;
  /** `awsRegion` of every record (the dispatcher's region; locally a placeholder). */
  region: string;
  /** Account id for the ARN-like `eventSourceARN` (locally a placeholder). */
  account: string;
}

export const EVENT_SOURCE = 'postbox';

/**
 * `arn:aws:postbox:<region>:<account>:<queue>`: the queue name is the sixth colon-separated part,
 * where SQS handlers usually look for it.
 */
export const eventSourceArn = (source: EventSource) =>
  `arn:aws:postbox:${source.region}:${source.account}:${source.queue}`;

/** The body as the record carries it: a string stays as is, anything else is its JSON text. */
export const bodyText = (body: unknown) => (typeof body === 'string' ? body : JSON.stringify(body));

export function toRecord(message: DeliveredMessage, source: EventSource, now: number): SQSRecord {
  if (message.receipt === undefined) throw new Error('a consumer batch needs manual-ack receipts');
  const body = bodyText(message.body);
  return {
    messageId: message.id,
    receiptHandle: message.receipt,
    body,
    attributes: {
      ApproximateReceiveCount: String(message.receiveCount),
      SentTimestamp: String(message.publishedAt),
      SenderId: EVENT_SOURCE,
      // Postbox does not store the first receive; at the first receive it is now, after that the
      // time the message became due is the closest earlier bound.
      ApproximateFirstReceiveTimestamp: String(message.receiveCount <= 1 ? now : message.deliverAt),
      ...(message.groupId !== null ? { MessageGroupId: message.groupId } : {}),
    },
    messageAttributes: toMessageAttributes(message.attributes),
    md5OfBody: createHash('md5').update(body, 'utf8').digest('hex'),
    eventSource: EVENT_SOURCE,
    eventSourceARN: eventSourceArn(source),
    awsRegion: source.region,
  };
}

export function toSqsEvent(messages: DeliveredMessage[], source: EventSource, now: number): SQSEvent {
  return { Records: messages.map((message) => toRecord(message, source, now)) };
}

function toMessageAttributes(attributes: Record<string, string>): SQSMessageAttributes {
  const result: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(attributes)) {
    result[name] = { stringValue: value, stringListValues: [], binaryListValues: [], dataType: 'String' };
  }
  return result;
}
