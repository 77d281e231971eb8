/**
 * A publish body (one request, one entry of a batch, or a topic publish) → the engine's
 * PublishInput, with the checks the schema alone cannot make: `delaySeconds` and `deliverAt` not
 * together, `deliverAt` at most 365 days ahead, the 262,144-byte message limit. `delaySeconds`
 * counts from the request, so it becomes a `deliverAt` here, at the time the request arrived; an
 * explicit `delaySeconds: 0` thereby overrides the queue's default delay. Reschedule shares the
 * due-time rules (`dueTime`).
 */
import { PayloadTooLargeError, ValidationError } from '../core/errors';
import type { PublishInput } from '../core/types';
import { MAX_ATTRIBUTES, PublishRequest, TopicPublishRequest } from './schemas';
import { parseDateTime } from './times';
import { fieldPath, parseOrThrow } from './validation';

/** The limit on a message's compact UTF-8 JSON `body` plus that of its `attributes`. */
export const MAX_MESSAGE_BYTES = 262_144;
const MAX_DELIVER_AHEAD_MS = 365 * 24 * 60 * 60 * 1000;

export interface ParsedPublish {
  input: PublishInput;
  waitSeconds: number | undefined;
}

/**
 * Compact JSON of the body, refusing numbers JSON cannot carry back: `1e400` parses to Infinity,
 * which would be stored as null. Nesting too deep to serialise is refused too.
 */
function serializeBody(body: unknown, name: string): string {
  try {
    return JSON.stringify(body, (_key, value) => {
      if (typeof value === 'number' && !Number.isFinite(value)) {
        throw new ValidationError(`'${name}' contains a number out of range.`);
      }
      return value;
    });
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    throw new ValidationError(`'${name}' is nested too deeply.`);
  }
}

/** Bytes counted against the 256 KiB limit; absent attributes are `{}`, as every answer shows them. */
export function messageBytes(
  body: unknown,
  attributes: Record<string, string> | undefined,
  name = 'body',
): number {
  return (
    Buffer.byteLength(serializeBody(body, name), 'utf8') +
    Buffer.byteLength(JSON.stringify(attributes ?? {}), 'utf8')
  );
}

/**
 * The attributes as data properties. zod neither checks nor keeps an own `__proto__` key of a
 * record (assigning it would replace the result's prototype), so that entry is checked here,
 * and counted; every other entry the schema has already checked.
 */
function copyAttributes(raw: Record<string, unknown>, name: string): Record<string, string> {
  const entries = Object.entries(raw);
  if (entries.length > MAX_ATTRIBUTES) {
    throw new ValidationError(`'${name}': must have at most ${MAX_ATTRIBUTES} entries.`);
  }
  for (const [key, value] of entries) {
    if (typeof value !== 'string') {
      throw new ValidationError(`'${name}.${key}': expected string, received ${typeof value}.`);
    }
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

/**
 * The due time asked for by `deliverAt` or `delaySeconds` (not both), in epoch ms, or `undefined`
 * when neither is given. `name` turns a field into its path for messages (`messages[3].deliverAt`).
 */
export function dueTime(
  fields: { deliverAt?: string; delaySeconds?: number },
  now: number,
  name: (field: string) => string = (field) => field,
): number | undefined {
  if (fields.delaySeconds !== undefined && fields.deliverAt !== undefined) {
    throw new ValidationError(
      `'${name('delaySeconds')}' and '${name('deliverAt')}' cannot be given together.`,
    );
  }
  if (fields.deliverAt !== undefined) {
    const deliverAt = parseDateTime(fields.deliverAt) ?? now;
    if (deliverAt - now > MAX_DELIVER_AHEAD_MS) {
      throw new ValidationError(`'${name('deliverAt')}' must be at most 365 days ahead.`);
    }
    return deliverAt;
  }
  if (fields.delaySeconds !== undefined) return now + fields.delaySeconds * 1000;
  return undefined;
}

/**
 * Validates one publish body. `path` prefixes field names in messages (`messages[3]`), `now` is
 * the request's time in epoch ms.
 */
export function parsePublish(raw: unknown, now: number, path = ''): ParsedPublish {
  return parseWith(PublishRequest, raw, now, path);
}

/** Validates a topic publish: a queue's publish body without `waitSeconds`. */
export function parseTopicPublish(raw: unknown, now: number): PublishInput {
  return parseWith(TopicPublishRequest, raw, now, '').input;
}

function parseWith(
  schema: typeof PublishRequest | typeof TopicPublishRequest,
  raw: unknown,
  now: number,
  path: string,
): ParsedPublish {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ValidationError(`'${path || 'body'}' must be an object.`);
  }
  const fields = parseOrThrow(schema, raw, { prefix: path });
  const name = (field: string) => fieldPath([field], path);
  const deliverAt = dueTime(fields, now, name);

  const rawAttributes = (raw as { attributes?: Record<string, unknown> }).attributes;
  const attributes =
    rawAttributes === undefined ? undefined : copyAttributes(rawAttributes, name('attributes'));

  const bytes = messageBytes(fields.body, attributes, name('body'));
  if (bytes > MAX_MESSAGE_BYTES) {
    throw new PayloadTooLargeError(
      `The message${path ? ` '${path}'` : ''} is ${bytes} bytes; 'body' plus 'attributes' may be at most ${MAX_MESSAGE_BYTES} bytes.`,
    );
  }

  const input: PublishInput = { body: fields.body };
  if (deliverAt !== undefined) input.deliverAt = deliverAt;
  if (fields.priority !== undefined) input.priority = fields.priority;
  if (fields.groupId !== undefined) input.groupId = fields.groupId;
  if (fields.deduplicationId !== undefined) input.deduplicationId = fields.deduplicationId;
  if (attributes !== undefined) input.attributes = attributes;
  return { input, waitSeconds: 'waitSeconds' in fields ? fields.waitSeconds : undefined };
}
