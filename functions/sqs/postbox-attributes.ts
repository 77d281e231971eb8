/**
 * Beyond SQS, through message attributes an SQS client can already send (docs/sqs.md):
 *
 *   Postbox.DelaySeconds  Number, 0–31,536,000: the message's delay, up to Postbox's one year
 *                         (SQS stops at 900 s); on FIFO queues too
 *   Postbox.Priority      Number, 0–9: the Postbox priority (higher first; in a FIFO group the
 *                         group's order still comes first)
 *
 * They are instructions, not data: taken out of the message's attributes (a receive through
 * either API does not show them), though the MD5OfMessageAttributes of the send covers them, as
 * the SDKs check it against what they sent.
 */
import { invalidParameterValue } from './errors';
import type { SqsMessageAttribute } from './message-attributes';

export const DELAY_ATTRIBUTE = 'Postbox.DelaySeconds';
export const PRIORITY_ATTRIBUTE = 'Postbox.Priority';
const MAX_DELAY_SECONDS = 31_536_000;
const MAX_PRIORITY = 9;

export interface PostboxInstructions {
  delaySeconds?: number;
  priority?: number;
  /** The attributes without the instructions: what the message keeps. */
  attributes: Record<string, SqsMessageAttribute>;
}

function integerOf(name: string, attribute: SqsMessageAttribute, max: number): number {
  const text = attribute.StringValue ?? '';
  if (!attribute.DataType.startsWith('Number') || !/^\d+$/.test(text) || Number(text) > max) {
    throw invalidParameterValue(
      `The message attribute '${name}' must be a Number from 0 to ${max} (got ${attribute.DataType} ${JSON.stringify(text)}).`,
    );
  }
  return Number(text);
}

export function readInstructions(attributes: Record<string, SqsMessageAttribute>): PostboxInstructions {
  const { [DELAY_ATTRIBUTE]: delay, [PRIORITY_ATTRIBUTE]: priority, ...rest } = attributes;
  return {
    ...(delay !== undefined ? { delaySeconds: integerOf(DELAY_ATTRIBUTE, delay, MAX_DELAY_SECONDS) } : {}),
    ...(priority !== undefined ? { priority: integerOf(PRIORITY_ATTRIBUTE, priority, MAX_PRIORITY) } : {}),
    attributes: rest,
  };
}
