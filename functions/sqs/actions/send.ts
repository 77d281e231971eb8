/**
 * SendMessage, SendMessageBatch: an SQS message is a Postbox message whose body is the
 * MessageBody string (a /v1 reader sees a JSON string) and whose attributes carry the SQS message
 * attributes (../message-attributes.ts).
 *
 * FIFO queues: MessageGroupId is the Postbox groupId (strict order, one in flight per group);
 * MessageDeduplicationId, or the SHA-256 of the body with ContentBasedDeduplication, is the
 * Postbox deduplicationId within the queue's 5-minute window; with DeduplicationScope
 * `messageGroup` it is prefixed by (a digest of) the group, so equal ids in two groups differ.
 * Beyond SQS: DelaySeconds is honoured on FIFO queues too (SQS refuses it there), and the message
 * attributes Postbox.DelaySeconds (up to a year) and Postbox.Priority (../postbox-attributes.ts).
 */
import { createHash } from 'node:crypto';
import type { PublishInput } from '../../core/types';
import { eachEntry, failedEntry, readEntries } from '../batch';
import { type Action, type LoadedQueue, loadQueue, queueOfInput, type SqsContext, sqsCall } from '../context';
import { batchRequestTooLong, invalidParameterValue, missingParameter, SqsError } from '../errors';
import { md5Hex, md5OfAttributes } from '../md5';
import { attributeBytes, readMessageAttributes, toPostboxAttributes } from '../message-attributes';
import { type Input, optionalInteger, optionalString } from '../params';
import { DELAY_ATTRIBUTE, readInstructions } from '../postbox-attributes';

// XML 1.0's characters, which is what SQS accepts in a body.
// biome-ignore lint/suspicious/noControlCharactersInRegex: tab, LF and CR are the allowed control characters.
const INVALID_BODY_CHARACTER = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
// Group and deduplication ids: 1–128 of the printable ASCII characters.
const FIFO_ID = /^[\x21-\x7E]{1,128}$/;
const MAX_BATCH_BYTES = 262_144;

let sequenceCounter = 0;
/**
 * A FIFO message's SequenceNumber: 20 digits, the send time in ms then a counter, so numbers
 * grow with send time (within this process strictly).
 */
function nextSequenceNumber(now: number): string {
  sequenceCounter = (sequenceCounter + 1) % 1_000_000;
  return `${String(now).padStart(14, '0')}${String(sequenceCounter).padStart(6, '0')}`;
}

const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

interface PreparedSend {
  publish: PublishInput;
  answer: Record<string, unknown>;
}

function fifoId(entry: Input, name: string): string | undefined {
  const value = optionalString(entry, name);
  if (value !== undefined && !FIFO_ID.test(value)) {
    throw invalidParameterValue(
      `Value ${value} for parameter ${name} is invalid. Reason: it must be 1 to 128 characters of letters, digits and punctuation.`,
    );
  }
  return value;
}

/** Checks one message against SQS's rules and the queue's settings; answers what to publish. */
function prepareSend(context: SqsContext, loaded: LoadedQueue, entry: Input): PreparedSend {
  const body = optionalString(entry, 'MessageBody');
  if (body === undefined || body === '') throw missingParameter('MessageBody');
  if (INVALID_BODY_CHARACTER.test(body)) {
    throw new SqsError(
      'InvalidMessageContents',
      'InvalidMessageContents',
      400,
      'Invalid binary character in the message body: only XML 1.0 characters are allowed.',
    );
  }
  const sent = readMessageAttributes(entry.MessageAttributes);
  const { attributes, ...instructions } = readInstructions(sent);
  const limit = Number(loaded.settings.attributes.MaximumMessageSize ?? 262_144);
  const bytes = Buffer.byteLength(body, 'utf8') + attributeBytes(sent);
  if (bytes > limit) {
    throw invalidParameterValue(
      `One or more parameters are invalid. Reason: Message must be shorter than ${limit} bytes.`,
    );
  }
  let delaySeconds = optionalInteger(entry, 'DelaySeconds', 0, 900);
  if (instructions.delaySeconds !== undefined) {
    if (delaySeconds !== undefined) {
      throw invalidParameterValue(`Give DelaySeconds or the message attribute ${DELAY_ATTRIBUTE}, not both.`);
    }
    delaySeconds = instructions.delaySeconds;
  }
  const priority = instructions.priority !== undefined ? { priority: instructions.priority } : {};
  const groupId = fifoId(entry, 'MessageGroupId');
  let deduplicationId = fifoId(entry, 'MessageDeduplicationId');
  const answer: Record<string, unknown> = { MD5OfMessageBody: md5Hex(body) };
  // Over every attribute sent: the SDKs compare it with their own digest of what they sent.
  const md5 = md5OfAttributes(sent);
  if (md5 !== undefined) answer.MD5OfMessageAttributes = md5;

  if (!loaded.fifo) {
    if (deduplicationId !== undefined) {
      throw invalidParameterValue(
        'The request includes a parameter that is not valid for this queue type: MessageDeduplicationId.',
      );
    }
    return {
      publish: {
        body,
        ...(delaySeconds !== undefined ? { delaySeconds } : {}),
        ...priority,
        attributes: toPostboxAttributes(attributes, { g: groupId }),
      },
      answer,
    };
  }
  if (groupId === undefined) throw missingParameter('MessageGroupId');
  if (deduplicationId === undefined) {
    if (loaded.settings.attributes.ContentBasedDeduplication !== 'true') {
      throw invalidParameterValue(
        'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly.',
      );
    }
    deduplicationId = sha256Hex(body);
  }
  const scoped =
    loaded.settings.attributes.DeduplicationScope === 'messageGroup'
      ? `${sha256Hex(groupId).slice(0, 32)}:${deduplicationId}`
      : deduplicationId;
  const sequenceNumber = nextSequenceNumber(context.clock());
  answer.SequenceNumber = sequenceNumber;
  return {
    publish: {
      body,
      groupId,
      deduplicationId: scoped,
      ...(delaySeconds !== undefined ? { delaySeconds } : {}),
      ...priority,
      attributes: toPostboxAttributes(attributes, { d: deduplicationId, s: sequenceNumber }),
    },
    answer,
  };
}

export const sendMessage: Action = async (context, input) => {
  const name = queueOfInput(input);
  const loaded = await loadQueue(context, name);
  const { publish, answer } = prepareSend(context, loaded, input);
  const result = await sqsCall(() => context.engine.publish(loaded.queue.name, publish));
  return { MessageId: result.id, ...answer };
};

export const sendMessageBatch: Action = async (context, input) => {
  const name = queueOfInput(input);
  const entries = readEntries(input);
  const loaded = await loadQueue(context, name);
  const total = entries.reduce(
    (sum, entry) => sum + Buffer.byteLength(String(entry.MessageBody ?? ''), 'utf8'),
    0,
  );
  if (total > MAX_BATCH_BYTES) throw batchRequestTooLong(total);

  // Entries that pass SQS's checks go to the engine in one batch, so they keep input order.
  const prepared = await eachEntry(entries, async (entry) => ({
    prepared: prepareSend(context, loaded, entry),
  }));
  const valid = prepared.Successful as { Id: string; prepared: PreparedSend }[];
  const results =
    valid.length === 0
      ? []
      : await sqsCall(() =>
          context.engine.publishBatch(
            loaded.queue.name,
            valid.map((entry) => entry.prepared.publish),
          ),
        );
  const Successful: Record<string, unknown>[] = [];
  const Failed = [...prepared.Failed];
  for (const [i, result] of results.entries()) {
    const { Id, prepared: entry } = valid[i] as { Id: string; prepared: PreparedSend };
    if (result.ok) Successful.push({ Id, MessageId: result.value.id, ...entry.answer });
    else Failed.push(failedEntry(Id, result.error));
  }
  return { Successful, Failed };
};
