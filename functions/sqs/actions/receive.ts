/**
 * ReceiveMessage: a manual-ack Postbox receive whose receipts are the ReceiptHandles. Bodies
 * published through /v1 that are not strings are answered as their JSON text.
 *
 * System attributes: SentTimestamp = publishedAt; ApproximateReceiveCount = receiveCount;
 * MessageGroupId = groupId (FIFO) or the one sent to a standard queue; MessageDeduplicationId and
 * SequenceNumber as sent; DeadLetterQueueSourceArn from the dead letter's source queue;
 * ApproximateFirstReceiveTimestamp = now at the first receive, and afterwards the time the
 * message became due (Postbox does not record the first receive: a lower bound of it).
 */
import type { DeliveredMessage } from '../../core/types';
import {
  type Action,
  arnOf,
  loadQueue,
  queueOfInput,
  type SqsContext,
  sqsCall,
  sqsNameOfQueue,
} from '../context';
import { md5Hex, md5OfAttributes } from '../md5';
import { fromPostboxAttributes, selectAttributes } from '../message-attributes';
import { optionalInteger, stringList } from '../params';

const SYSTEM_ATTRIBUTES = [
  'SenderId',
  'SentTimestamp',
  'ApproximateReceiveCount',
  'ApproximateFirstReceiveTimestamp',
  'SequenceNumber',
  'MessageDeduplicationId',
  'MessageGroupId',
  'DeadLetterQueueSourceArn',
  'AWSTraceHeader',
];

export const bodyText = (body: unknown) => (typeof body === 'string' ? body : JSON.stringify(body));

function systemAttributes(
  context: SqsContext,
  message: DeliveredMessage,
  requested: string[],
  now: number,
  sourceNames: Map<string, string>,
) {
  const { meta } = fromPostboxAttributes(message.attributes);
  const source = message.deadLetter?.sourceQueue;
  const all: Record<string, string | undefined> = {
    SenderId: context.account,
    SentTimestamp: String(message.publishedAt),
    ApproximateReceiveCount: String(message.receiveCount),
    ApproximateFirstReceiveTimestamp: String(message.receiveCount <= 1 ? now : message.deliverAt),
    SequenceNumber: meta.s,
    MessageDeduplicationId: meta.d,
    MessageGroupId: message.groupId ?? meta.g,
    DeadLetterQueueSourceArn:
      source === undefined ? undefined : arnOf(context, sourceNames.get(source) ?? source),
  };
  const wanted = requested.includes('All') ? SYSTEM_ATTRIBUTES : requested;
  const selected: Record<string, string> = {};
  for (const name of wanted) {
    const value = all[name];
    if (value !== undefined) selected[name] = value;
  }
  return selected;
}

export const receiveMessage: Action = async (context, input) => {
  const name = queueOfInput(input);
  const loaded = await loadQueue(context, name);
  const maxMessages = optionalInteger(input, 'MaxNumberOfMessages', 1, 10) ?? 1;
  const waitSeconds =
    optionalInteger(input, 'WaitTimeSeconds', 0, 20) ??
    Number(loaded.settings.attributes.ReceiveMessageWaitTimeSeconds ?? 0);
  const visibilityTimeoutSeconds = optionalInteger(input, 'VisibilityTimeout', 0, 43_200);
  // AttributeNames is the older spelling of MessageSystemAttributeNames; SDKs send either.
  const systemNames = [
    ...stringList(input, 'AttributeNames'),
    ...stringList(input, 'MessageSystemAttributeNames'),
  ];
  const attributeNames = stringList(input, 'MessageAttributeNames');

  const messages = await sqsCall(() =>
    context.engine.receive(loaded.queue.name, {
      maxMessages,
      waitSeconds,
      ack: 'manual',
      ...(visibilityTimeoutSeconds !== undefined ? { visibilityTimeoutSeconds } : {}),
      ...(context.signal ? { signal: context.signal } : {}),
    }),
  );
  const now = context.clock();
  // SQS leaves Messages out of an empty answer (the SDK then shows none, not an empty list).
  if (messages.length === 0) return {};
  // Dead letters name their source by its Postbox name; SQS answers its ARN by its SQS name.
  const sourceNames = new Map<string, string>();
  for (const source of new Set(messages.flatMap((message) => message.deadLetter?.sourceQueue ?? []))) {
    const sqsName = await sqsNameOfQueue(context, source);
    if (sqsName !== undefined) sourceNames.set(source, sqsName);
  }
  return {
    Messages: messages.map((message) => {
      const body = bodyText(message.body);
      const { attributes } = fromPostboxAttributes(message.attributes);
      const selected = selectAttributes(attributes, attributeNames);
      const system = systemAttributes(context, message, systemNames, now, sourceNames);
      const md5 = md5OfAttributes(selected);
      return {
        MessageId: message.id,
        ReceiptHandle: message.receipt,
        MD5OfBody: md5Hex(body),
        Body: body,
        ...(Object.keys(system).length > 0 ? { Attributes: system } : {}),
        ...(md5 !== undefined ? { MD5OfMessageAttributes: md5, MessageAttributes: selected } : {}),
      };
    }),
  };
};
