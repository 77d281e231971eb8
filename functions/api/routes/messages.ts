/**
 * Message routes: publish (one or a batch), browse, get one, reschedule one, delete one.
 */
import { ValidationError } from '../../core/errors';
import type { BatchEntry, PublishInput, PublishResult, RescheduleInput } from '../../core/types';
import { defineEndpoint, type Endpoint } from '../endpoint';
import { errorBody, logUnexpected, toErrorAnswer } from '../errors';
import { json, noContent, presentPublish, presentView } from '../present';
import { dueTime, type ParsedPublish, parsePublish } from '../publish-input';
import {
  BrowseQuery,
  BrowseResponse,
  MessageParams,
  MessageViewSchema,
  PublishBatchEnvelope,
  PublishBatchRequest,
  PublishBatchResponse,
  PublishRequest,
  PublishResponse,
  QueueParams,
  RescheduleRequest,
} from '../schemas';
import { parseOrThrow } from '../validation';
import type { RouteDeps } from './deps';
import { jsonResponse, withErrors } from './responses';

/** One entry of a batch answer, in the contract's shape; a bug in one entry is logged. */
function presentEntry(entry: BatchEntry<PublishResult>, where: { method: string; path: string }) {
  if (entry.ok) return presentPublish(entry.value);
  const { code, message, unexpected } = toErrorAnswer(entry.error);
  if (unexpected) logUnexpected(entry.error, where);
  return errorBody(code, message);
}

/**
 * A reschedule body → the engine's input: `deliverAt` or `delaySeconds` (not both, with the
 * publish's 365-day bound, `delaySeconds` counted from the request) and/or `priority`; at least one.
 */
function parseReschedule(raw: Record<string, unknown>, now: number): RescheduleInput {
  const fields = parseOrThrow(RescheduleRequest, raw);
  const deliverAt = dueTime(fields, now);
  if (deliverAt === undefined && fields.priority === undefined) {
    throw new ValidationError(`One of 'deliverAt', 'delaySeconds' or 'priority' is required.`);
  }
  const input: RescheduleInput = {};
  if (deliverAt !== undefined) input.deliverAt = deliverAt;
  if (fields.priority !== undefined) input.priority = fields.priority;
  return input;
}

export function messageEndpoints({ engine, clock }: RouteDeps): Endpoint[] {
  return [
    defineEndpoint({
      method: 'post',
      path: '/v1/queues/{queue}/messages',
      summary: 'Publish a message',
      description:
        'Stores one message. body is any JSON value but null. Due now, after delaySeconds ' +
        "(default: the queue's delaySeconds; 0 overrides it) or at deliverAt (at most 365 days " +
        'ahead; a past time means now), not both. priority 0–9, higher first. groupId (fifo ' +
        'queues only) delivers the messages of a group in order, one at a time. A deduplicationId ' +
        'already accepted on this queue within its deduplicationWindowSeconds stores nothing and ' +
        "answers 200 with the first copy's id and duplicate: true, also when that copy was " +
        'consumed; the duplicate check comes before the bound check. On a full bounded queue ' +
        '(maxMessages), waitSeconds (0–20) waits for room before 429 QueueFull. Answers 201 with ' +
        'the id and the effective deliverAt.',
      params: QueueParams,
      body: { schema: PublishRequest, validate: (raw): ParsedPublish => parsePublish(raw, clock()) },
      responses: withErrors(
        {
          200: jsonResponse('A duplicate of an earlier publish (nothing stored).', PublishResponse),
          201: jsonResponse('Published.', PublishResponse),
        },
        {
          400: 'InvalidJson or ValidationError: body missing or null, an unknown field, a value out of range, delaySeconds with deliverAt, deliverAt over 365 days ahead, groupId on a lifo queue, more than 10 attributes or a bad attribute key.',
          404: 'QueueNotFound.',
          413: "the message's body and attributes, as compact UTF-8 JSON, are over 262,144 bytes",
          429: 'QueueFull: the bounded queue is at maxMessages (after waiting waitSeconds).',
        },
      ),
      handle: async (c, { params, body }) => {
        const { input, waitSeconds } = body;
        const result = await engine.publish(params.queue, input, {
          waitSeconds,
          signal: c.req.raw.signal,
        });
        return json(c, result.duplicate ? 200 : 201, presentPublish(result));
      },
    }),
    defineEndpoint({
      method: 'post',
      path: '/v1/queues/{queue}/messages/batch',
      summary: 'Publish up to 25 messages',
      description:
        'Publishes 1–25 messages, each with the fields of a single publish. The answer has one ' +
        'result per entry, in input order: the publish answer ({id, deliverAt, duplicate}) or ' +
        "{error: {code, message}} for that entry alone. An entry's own faults (ValidationError, " +
        'PayloadTooLarge, QueueFull) fail that entry only; accepted entries take consecutive ' +
        'places in publish order, in input order. A deduplicationId repeated inside the batch is ' +
        'a duplicate of its first occurrence. Faults of the request as a whole fail it whole, ' +
        'with the status below.',
      params: QueueParams,
      body: {
        schema: PublishBatchRequest,
        // The envelope fails the request as a whole; each entry's faults fail that entry only.
        validate: (raw) => {
          const { messages } = parseOrThrow(PublishBatchEnvelope, raw);
          const now = clock();
          return messages.map((entry, i): ParsedPublish | Error => {
            try {
              return parsePublish(entry, now, `messages[${i}]`);
            } catch (error) {
              if (error instanceof Error && toErrorAnswer(error).status < 500) return error;
              throw error;
            }
          });
        },
      },
      responses: withErrors(
        { 200: jsonResponse('One result per entry, in input order.', PublishBatchResponse) },
        {
          400: 'InvalidJson or ValidationError: messages missing, not an array, or not 1–25 entries, or an unknown field beside it.',
          404: 'QueueNotFound.',
        },
      ),
      handle: async (c, { params, body }) => {
        const valid = body.filter((entry): entry is ParsedPublish => !(entry instanceof Error));
        const inputs: PublishInput[] = valid.map((entry) => entry.input);
        // One wait for the whole batch: the longest any entry asked for.
        const waits = valid.map((entry) => entry.waitSeconds ?? 0);
        const waitSeconds = waits.length > 0 ? Math.max(...waits) : undefined;
        // Called even with no valid entry, so a missing queue still fails the request as a whole.
        const accepted = await engine.publishBatch(params.queue, inputs, {
          waitSeconds,
          signal: c.req.raw.signal,
        });
        const where = { method: c.req.method, path: c.req.path };
        let next = 0;
        const results = body.map((entry) => {
          if (entry instanceof Error) return presentEntry({ ok: false, error: entry }, where);
          const result = accepted[next++] ?? {
            ok: false as const,
            error: new Error('The engine returned fewer results than entries.'),
          };
          return presentEntry(result, where);
        });
        return json(c, 200, { results });
      },
    }),
    defineEndpoint({
      method: 'get',
      path: '/v1/queues/{queue}/messages',
      summary: 'Browse messages without receiving them',
      description:
        'Looks at messages without receiving them: no lease, no receipt, no receiveCount change. ' +
        'state is ready, delayed, inFlight or all (default); limit 1–100 (default 20); cursor ' +
        'from the previous page. Ready messages come in delivery order, delayed ones by ' +
        'deliverAt, in-flight ones by leaseExpiresAt; all lists ready, then delayed, then in ' +
        'flight.',
      params: QueueParams,
      query: BrowseQuery,
      responses: withErrors(
        { 200: jsonResponse('A page of message views.', BrowseResponse) },
        {
          400: 'ValidationError: an unknown state, limit out of range, or a cursor this server did not issue.',
          404: 'QueueNotFound.',
        },
      ),
      handle: async (c, { params, query }) => {
        const page = await engine.browse(params.queue, query);
        return json(c, 200, { messages: page.items.map(presentView), cursor: page.cursor });
      },
    }),
    defineEndpoint({
      method: 'get',
      path: '/v1/queues/{queue}/messages/{id}',
      summary: 'Get one message',
      description:
        "The message's view in any state: its delivery fields without receipt, plus state and, in " +
        'flight, leaseExpiresAt.',
      params: MessageParams,
      responses: withErrors(
        { 200: jsonResponse('The message view.', MessageViewSchema) },
        { 404: 'QueueNotFound, or MessageNotFound when the message is gone.' },
      ),
      handle: async (c, { params }) => {
        const message = await engine.getMessage(params.queue, params.id);
        return json(c, 200, presentView(message));
      },
    }),
    defineEndpoint({
      method: 'patch',
      path: '/v1/queues/{queue}/messages/{id}',
      summary: 'Reschedule a ready or delayed message: new due time and/or priority',
      description:
        'Changes the due time (deliverAt, or delaySeconds counted from the request; not both; at ' +
        'most 365 days ahead) and/or the priority of a ready or delayed message; at least one of ' +
        'the three. The message keeps its place in publish order. Answers the message view after ' +
        'the change.',
      params: MessageParams,
      body: { schema: RescheduleRequest, validate: (raw) => parseReschedule(raw, clock()) },
      responses: withErrors(
        { 200: jsonResponse('The message view after the change.', MessageViewSchema) },
        {
          400: 'InvalidJson or ValidationError: none of deliverAt, delaySeconds and priority, both deliverAt and delaySeconds, a value out of range, or an unknown field.',
          404: 'QueueNotFound, or MessageNotFound when the message is gone.',
          409: 'Conflict: the message is in flight.',
        },
      ),
      handle: async (c, { params, body }) => {
        const message = await engine.rescheduleMessage(params.queue, params.id, body);
        return json(c, 200, presentView(message));
      },
    }),
    defineEndpoint({
      method: 'delete',
      path: '/v1/queues/{queue}/messages/{id}',
      summary: 'Cancel (delete) one message in any state',
      description:
        'Deletes the message in any state: a scheduled message is never delivered, and an ' +
        "in-flight message's receipt answers 409 ReceiptExpired from now on.",
      params: MessageParams,
      responses: withErrors(
        { 204: { description: 'Deleted.' } },
        { 404: 'QueueNotFound, or MessageNotFound when the message is already gone.' },
      ),
      handle: async (c, { params }) => {
        await engine.deleteMessage(params.queue, params.id);
        return noContent(c);
      },
    }),
  ];
}
