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
      params: QueueParams,
      body: { schema: PutQueueRequest, emptyIsObject: true },
      responses: withErrors(
        {
          200: jsonResponse('The queue existed (updated or unchanged).', QueueSchema),
          201: jsonResponse('The queue was created.', QueueSchema),
        },
        409,
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
      params: QueueParams,
      responses: withErrors({ 200: jsonResponse('The queue.', QueueWithCountsSchema) }),
      handle: async (c, { params }) => {
        const queue = await engine.getQueue(params.queue);
        return json(c, 200, { ...presentQueue(queue), counts: presentCounts(queue.counts) });
      },
    }),
    defineEndpoint({
      method: 'get',
      path: '/v1/queues',
      summary: 'List queues in name order',
      query: ListQueuesQuery,
      responses: withErrors({ 200: jsonResponse('A page of queues.', QueueListSchema) }),
      handle: async (c, { query }) => {
        const page = await engine.listQueues(query);
        return json(c, 200, { queues: page.items.map(presentQueue), cursor: page.cursor });
      },
    }),
    defineEndpoint({
      method: 'delete',
      path: '/v1/queues/{queue}',
      summary: 'Delete a queue and all its messages',
      params: QueueParams,
      responses: withErrors({ 204: { description: 'Deleted.' } }, 409),
      handle: async (c, { params }) => {
        await engine.deleteQueue(params.queue);
        return noContent(c);
      },
    }),
    defineEndpoint({
      method: 'post',
      path: '/v1/queues/{queue}/purge',
      summary: 'Remove every message of a queue',
      params: QueueParams,
      body: { schema: EmptyRequest, emptyIsObject: true },
      responses: withErrors({ 204: { description: 'Purged.' } }),
      handle: async (c, { params }) => {
        await engine.purgeQueue(params.queue);
        return noContent(c);
      },
    }),
    defineEndpoint({
      method: 'post',
      path: '/v1/queues/{queue}/redrive',
      summary: 'Move dead letters back: to `to`, or each to its source queue',
      params: QueueParams,
      body: { schema: RedriveRequest, emptyIsObject: true },
      responses: withErrors({ 200: jsonResponse('How many messages moved.', RedriveResponse) }),
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
