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
      params: QueueParams,
      body: { schema: PublishRequest, validate: (raw): ParsedPublish => parsePublish(raw, clock()) },
      responses: withErrors(
        {
          200: jsonResponse('A duplicate of an earlier publish (nothing stored).', PublishResponse),
          201: jsonResponse('Published.', PublishResponse),
        },
        429,
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
      responses: withErrors({
        200: jsonResponse('One result per entry, in input order.', PublishBatchResponse),
      }),
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
      params: QueueParams,
      query: BrowseQuery,
      responses: withErrors({ 200: jsonResponse('A page of message views.', BrowseResponse) }),
      handle: async (c, { params, query }) => {
        const page = await engine.browse(params.queue, query);
        return json(c, 200, { messages: page.items.map(presentView), cursor: page.cursor });
      },
    }),
    defineEndpoint({
      method: 'get',
      path: '/v1/queues/{queue}/messages/{id}',
      summary: 'Get one message',
      params: MessageParams,
      responses: withErrors({ 200: jsonResponse('The message view.', MessageViewSchema) }),
      handle: async (c, { params }) => {
        const message = await engine.getMessage(params.queue, params.id);
        return json(c, 200, presentView(message));
      },
    }),
    defineEndpoint({
      method: 'patch',
      path: '/v1/queues/{queue}/messages/{id}',
      summary: 'Reschedule a ready or delayed message: new due time and/or priority',
      params: MessageParams,
      body: { schema: RescheduleRequest, validate: (raw) => parseReschedule(raw, clock()) },
      responses: withErrors(
        { 200: jsonResponse('The message view after the change.', MessageViewSchema) },
        409,
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
      params: MessageParams,
      responses: withErrors({ 204: { description: 'Deleted.' } }),
      handle: async (c, { params }) => {
        await engine.deleteMessage(params.queue, params.id);
        return noContent(c);
      },
    }),
  ];
}
