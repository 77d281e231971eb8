/**
 * A `PUT /v1/schedules/{name}` body → the engine's ScheduleInput, with the checks a schema alone
 * cannot make, all before the engine is asked (the contract's check order): exactly one of
 * `cron` / `everySeconds`; `timeZone` with cron only, and a zone this runtime knows; the cron
 * fields themselves; `start` before `end`; no attribute in the reserved `postbox.` namespace; the
 * 262,144-byte message limit counted with the two attributes every firing adds.
 */
import { PayloadTooLargeError, ValidationError } from '../core/errors';
import { parseCron } from '../core/schedules/timing';
import type { ScheduleInput, ScheduleMessage } from '../core/schedules/types';
import { MAX_MESSAGE_BYTES, messageBytes } from './publish-input';
import { MAX_SCHEDULE_ATTRIBUTES, PutScheduleRequest, RESERVED_ATTRIBUTE_PREFIX } from './schedule-schemas';
import { parseDateTime } from './times';
import { parseOrThrow } from './validation';

/** What the two added attributes take at most: a name of 80 and a timestamp of 24 characters. */
const ADDED_ATTRIBUTES = {
  'postbox.schedule': 'x'.repeat(80),
  'postbox.firedAt': '2026-01-01T00:00:00.000Z',
};

export function parseScheduleInput(raw: Record<string, unknown>): ScheduleInput {
  const fields = parseOrThrow(PutScheduleRequest, raw);
  if ((fields.cron === undefined) === (fields.everySeconds === undefined)) {
    throw new ValidationError("'cron' / 'everySeconds': give exactly one of them.");
  }
  if (fields.timeZone !== undefined && fields.cron === undefined) {
    throw new ValidationError("'timeZone': applies to cron schedules only.");
  }
  if (fields.cron !== undefined) parseCron(fields.cron, fields.timeZone);
  const start = fields.start === undefined ? undefined : (parseDateTime(fields.start) as number);
  const end = fields.end === undefined ? undefined : (parseDateTime(fields.end) as number);
  if (start !== undefined && end !== undefined && end < start) {
    throw new ValidationError("'end': must not be before 'start'.");
  }
  const message = parseMessage(fields.message, raw.message as { attributes?: Record<string, unknown> });
  const input: ScheduleInput = { target: fields.target, message };
  if (fields.cron !== undefined) input.cron = fields.cron;
  if (fields.timeZone !== undefined) input.timeZone = fields.timeZone;
  if (fields.everySeconds !== undefined) input.everySeconds = fields.everySeconds;
  if (start !== undefined) input.start = start;
  if (end !== undefined) input.end = end;
  if (fields.paused !== undefined) input.paused = fields.paused;
  return input;
}

function parseMessage(
  fields: { body?: unknown; attributes?: Record<string, string>; priority?: number; groupId?: string },
  raw: { attributes?: Record<string, unknown> },
): ScheduleMessage {
  // From the raw body: zod neither checks nor keeps an own `__proto__` key of a record.
  const rawAttributes = raw.attributes;
  let attributes: Record<string, string> | undefined;
  if (rawAttributes !== undefined) {
    const entries = Object.entries(rawAttributes);
    if (entries.length > MAX_SCHEDULE_ATTRIBUTES) {
      throw new ValidationError(
        `'message.attributes': must have at most ${MAX_SCHEDULE_ATTRIBUTES} entries (every firing adds postbox.schedule and postbox.firedAt).`,
      );
    }
    for (const [key, value] of entries) {
      if (typeof value !== 'string') {
        throw new ValidationError(`'message.attributes.${key}': expected string, received ${typeof value}.`);
      }
      if (key.startsWith(RESERVED_ATTRIBUTE_PREFIX)) {
        throw new ValidationError(
          `'message.attributes.${key}': the prefix 'postbox.' is reserved for the firing's own attributes.`,
        );
      }
    }
    attributes = Object.fromEntries(entries) as Record<string, string>;
  }
  const bytes = messageBytes(fields.body, { ...attributes, ...ADDED_ATTRIBUTES }, 'message.body');
  if (bytes > MAX_MESSAGE_BYTES) {
    throw new PayloadTooLargeError(
      `A fired message would be up to ${bytes} bytes; 'body' plus 'attributes' (with the 2 added) may be at most ${MAX_MESSAGE_BYTES} bytes.`,
    );
  }
  const message: ScheduleMessage = { body: fields.body };
  if (attributes !== undefined) message.attributes = attributes;
  if (fields.priority !== undefined) message.priority = fields.priority;
  if (fields.groupId !== undefined) message.groupId = fields.groupId;
  return message;
}
