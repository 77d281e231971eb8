/**
 * `POST /v1/queues/{queue}/pause` and `/resume` (functions/core/flow/pause.ts): 204 each.
 */
import type { Engine } from '../../core/engine';
import { defineEndpoint, type Endpoint } from '../endpoint';
import { noContent } from '../present';
import { EmptyRequest, QueueParams } from '../schemas';
import { withErrors } from './responses';

export function pauseEndpoints(engine: Engine): Endpoint[] {
  return [
    defineEndpoint({
      method: 'post',
      path: '/v1/queues/{queue}/pause',
      summary: 'Pause deliveries of a queue',
      description:
        'From now on receives of the queue answer no messages and its event-driven consumers are ' +
        'not invoked; publishes are still accepted, and counts and browsing work as before. The ' +
        "queue's paused field says true. Messages in flight stay leased. Through other server " +
        'processes it applies within their configuration cache time (1 s). Pausing a paused queue ' +
        'changes nothing. The body is empty or {}.',
      params: QueueParams,
      body: { schema: EmptyRequest, emptyIsObject: true },
      responses: withErrors(
        { 204: { description: 'Paused.' } },
        { 400: 'InvalidJson or ValidationError: a body other than {}.', 404: 'QueueNotFound.' },
      ),
      handle: async (c, { params }) => {
        await engine.pauseQueue(params.queue);
        return noContent(c);
      },
    }),
    defineEndpoint({
      method: 'post',
      path: '/v1/queues/{queue}/resume',
      summary: 'Resume deliveries of a paused queue',
      description:
        'Receives and consumers get messages again (within 1 s through other server processes). ' +
        'Resuming a queue that is not paused changes nothing. The body is empty or {}.',
      params: QueueParams,
      body: { schema: EmptyRequest, emptyIsObject: true },
      responses: withErrors(
        { 204: { description: 'Resumed.' } },
        { 400: 'InvalidJson or ValidationError: a body other than {}.', 404: 'QueueNotFound.' },
      ),
      handle: async (c, { params }) => {
        await engine.resumeQueue(params.queue);
        return noContent(c);
      },
    }),
  ];
}
