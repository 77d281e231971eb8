/**
 * Queue routes: create or update, get (with counts), list, delete, purge, redrive.
 */
import { ValidationError } from '../../core/errors';
import type { QueueConfig } from '../../core/types';
import { defineEndpoint, type Endpoint } from '../endpoint';
import { json, noContent, presentCounts, presentQueue } from '../present';
import {
  EmptyRequest,
  ListQueuesQuery,
  PutQueueRequest,
  QueueListSchema,
  QueueParams,
  QueueSchema,
  QueueWithCountsSchema,
  RedriveRequest,
  RedriveResponse,
} from '../schemas';
import type { RouteDeps } from './deps';
import { pauseEndpoints } from './pause';
import { jsonResponse, withErrors } from './responses';

type PutQueueFields = Partial<QueueConfig>;

/**
 * Whole-body rules the field schemas cannot state. A queue cannot be its own dead-letter queue,
 * and `maxReceiveCount` needs a dead-letter queue; when the body leaves `deadLetterQueue` out,
 * the existing one may supply it, which only the engine can tell.
 */
function checkDeadLettering(queue: string, fields: PutQueueFields): void {
  if (fields.deadLetterQueue === queue) {
    throw new ValidationError(`'deadLetterQueue' cannot be the queue itself ('${queue}').`);
  }
  if (fields.maxReceiveCount != null && fields.deadLetterQueue === null) {
    throw new ValidationError(`'maxReceiveCount' requires a 'deadLetterQueue'.`);
  }
}

export function queueEndpoints({ engine }: RouteDeps): Endpoint[] {
  return [
    defineEndpoint({
      method: 'put',
      path: '/v1/queues/{queue}',
      summary: 'Create or update a queue (idempotent)',
      description:
        'Creates the queue, or updates the one that exists. Every field is optional and the ' +
        'update is a partial merge: a field left out keeps its current value (on creation, its ' +
        'default), a field sent as null clears it (maxReceiveCount, deadLetterQueue), so PUT with ' +
        '{} (or an empty body) on an existing queue changes nothing. The configuration that ' +
        'results must be valid as a whole: maxReceiveCount needs a deadLetterQueue (sent now or ' +
        'already set), which must be an existing queue other than this one. order cannot change ' +
        'after creation. Answers 201 with the queue when it was created, 200 when it existed ' +
        '(updated or unchanged).',
      params: QueueParams,
      body: { schema: PutQueueRequest, emptyIsObject: true },
      responses: withErrors(
        {
          200: jsonResponse('The queue existed (updated or unchanged).', QueueSchema),
          201: jsonResponse('The queue was created.', QueueSchema),
        },
        {
          400: 'InvalidJson or ValidationError: an unknown field, a value out of range, maxReceiveCount without a deadLetterQueue, or the queue as its own deadLetterQueue.',
          404: 'QueueNotFound: the deadLetterQueue does not exist (the message names it).',
          409: 'Conflict: a change of order, or a concurrent change of the same queue (retry).',
        },
      ),
      handle: async (c, { params, body }) => {
        const fields = body as PutQueueFields;
        checkDeadLettering(params.queue, fields);
        const { queue, created } = await engine.putQueue(params.queue, fields);
        return json(c, created ? 201 : 200, presentQueue(queue));
      },
    }),
    defineEndpoint({
      method: 'get',
      path: '/v1/queues/{queue}',
      summary: 'Get a queue with its message counts',
      description:
        "The queue's configuration plus counts of its messages by state: ready, delayed (a " +
        'delayed message that is due counts as ready), inFlight and total, taken at the time of ' +
        'the request. Counts are exact whenever no operation on the queue is under way; above ' +
        '10,000 messages they may be estimates, and then counts.approximate is true.',
      params: QueueParams,
      responses: withErrors(
        { 200: jsonResponse('The queue.', QueueWithCountsSchema) },
        { 404: 'QueueNotFound.' },
      ),
      handle: async (c, { params }) => {
        const queue = await engine.getQueue(params.queue);
        return json(c, 200, { ...presentQueue(queue), counts: presentCounts(queue.counts) });
      },
    }),
    defineEndpoint({
      method: 'get',
      path: '/v1/queues',
      summary: 'List queues in name order',
      description:
        'A page of queues in name order (by code point): limit 1–100 (default 100), and cursor ' +
        'from the previous page. A page may hold fewer than limit; cursor is null when nothing ' +
        'follows.',
      query: ListQueuesQuery,
      responses: withErrors(
        { 200: jsonResponse('A page of queues.', QueueListSchema) },
        { 400: 'ValidationError: limit out of range, or a cursor this server did not issue.' },
      ),
      handle: async (c, { query }) => {
        const page = await engine.listQueues(query);
        return json(c, 200, { queues: page.items.map(presentQueue), cursor: page.cursor });
      },
    }),
    defineEndpoint({
      method: 'delete',
      path: '/v1/queues/{queue}',
      summary: 'Delete a queue and all its messages',
      description:
        'The queue and all its messages are gone, and its deduplication records with it; later ' +
        'calls on it answer 404 QueueNotFound. Refused while another queue names it as its ' +
        'deadLetterQueue or a topic subscribes it.',
      params: QueueParams,
      responses: withErrors(
        { 204: { description: 'Deleted.' } },
        {
          404: 'QueueNotFound.',
          409: 'Conflict: another queue names it as deadLetterQueue, or a topic subscribes it (the message says which).',
        },
      ),
      handle: async (c, { params }) => {
        await engine.deleteQueue(params.queue);
        return noContent(c);
      },
    }),
    defineEndpoint({
      method: 'post',
      path: '/v1/queues/{queue}/purge',
      summary: 'Remove every message of a queue',
      description:
        'Every message of the queue, in any state, is gone; outstanding receipts answer 409 ' +
        'ReceiptExpired from now on. The configuration and the deduplication records stay. The ' +
        'body is empty or {}.',
      params: QueueParams,
      body: { schema: EmptyRequest, emptyIsObject: true },
      responses: withErrors(
        { 204: { description: 'Purged.' } },
        { 400: 'InvalidJson or ValidationError: a body other than {}.', 404: 'QueueNotFound.' },
      ),
      handle: async (c, { params }) => {
        await engine.purgeQueue(params.queue);
        return noContent(c);
      },
    }),
    ...pauseEndpoints(engine),
    defineEndpoint({
      method: 'post',
      path: '/v1/queues/{queue}/redrive',
      summary: 'Move dead letters back: to `to`, or each to its source queue',
      description:
        'Moves messages out of this queue, used as a dead-letter queue: to the queue to, or, ' +
        'without to, each message that carries deadLetter to its deadLetter.sourceQueue (others ' +
        'stay). At most maxMessages (default all). A moved message keeps its id, body, ' +
        'attributes, priority, groupId and publishedAt, loses deadLetter, starts again at ' +
        "receiveCount 0 and takes the last place in its target's publish order, in the order the " +
        'messages had; a full target takes them anyway. Answers how many moved.',
      params: QueueParams,
      body: { schema: RedriveRequest, emptyIsObject: true },
      responses: withErrors(
        { 200: jsonResponse('How many messages moved.', RedriveResponse) },
        {
          400: 'InvalidJson or ValidationError: an unknown field, maxMessages below 1, or to naming this queue.',
          404: 'QueueNotFound: this queue, or the queue named by to.',
        },
      ),
      handle: async (c, { params, body }) => {
        // Moving a queue's messages to its own end would meet them again further down the scan.
        if (body.to === params.queue) {
          throw new ValidationError(`'to' cannot be the queue itself ('${params.queue}').`);
        }
        const options: { to?: string; maxMessages?: number } = {};
        if (body.to !== undefined) options.to = body.to;
        if (body.maxMessages !== undefined) options.maxMessages = body.maxMessages;
        const { moved } = await engine.redrive(params.queue, options);
        return json(c, 200, { moved });
      },
    }),
  ];
}
