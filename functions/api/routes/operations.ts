/**
 * What an operator looks at and fixes beyond the core contract (the console uses all three):
 * a queue's message rates through this server process, the local runtime's consumers, and the
 * redrive of one message.
 */
import { ValidationError } from '../../core/errors';
import { defineEndpoint, type Endpoint } from '../endpoint';
import {
  ConsumersResponse,
  RatesResponse,
  RedriveMessageRequest,
  RedriveMessageResponse,
} from '../operations-schemas';
import { json } from '../present';
import type { QueueRates, RateMeter } from '../rates';
import { MessageParams, QueueParams } from '../schemas';
import { isoTime } from '../times';
import type { RouteDeps } from './deps';
import { jsonResponse, withErrors } from './responses';

/** One consumer of the local runtime as it is now (functions/local/consumer-status.ts keeps it). */
export interface ConsumerStatus {
  queue: string;
  handler: string;
  batchSize: number;
  concurrency: number;
  visibilityTimeoutSeconds: number;
  state: 'idle' | 'running' | 'failing' | 'stopped';
  batchesInFlight: number;
  handled: number;
  failed: number;
  /** Epoch ms. */
  lastBatchAt: number | null;
  lastError: { at: number; message: string } | null;
}

/** The consumers this process runs: the local runtime's; none in the deployed api function. */
export type ConsumerSource = () => ConsumerStatus[];

const presentRate = (queue: string, rates: QueueRates) => ({
  queue,
  scope: 'process' as const,
  windowSeconds: rates.windowSeconds,
  since: isoTime(rates.since),
  published: rates.published,
  delivered: rates.delivered,
  acked: rates.acked,
});

const presentConsumer = (consumer: ConsumerStatus) => ({
  queue: consumer.queue,
  handler: consumer.handler,
  batchSize: consumer.batchSize,
  concurrency: consumer.concurrency,
  visibilityTimeoutSeconds: consumer.visibilityTimeoutSeconds,
  state: consumer.state,
  batchesInFlight: consumer.batchesInFlight,
  handled: consumer.handled,
  failed: consumer.failed,
  lastBatchAt: consumer.lastBatchAt === null ? null : isoTime(consumer.lastBatchAt),
  lastError: consumer.lastError && {
    at: isoTime(consumer.lastError.at),
    message: consumer.lastError.message,
  },
});

export function operationEndpoints(
  { engine }: RouteDeps,
  { rates, consumers }: { rates: RateMeter; consumers: ConsumerSource },
): Endpoint[] {
  return [
    defineEndpoint({
      method: 'get',
      path: '/v1/queues/{queue}/rates',
      summary:
        'Message rates (published, delivered, acked per second) through this server process; reads nothing from the store',
      params: QueueParams,
      description:
        'Counts of publishes, deliveries and acks that this process answered, as per-second rates ' +
        'over the last minute. An in-process meter: each process (each Lambda instance) sees only its ' +
        'own traffic, and a restart starts from zero.',
      responses: withErrors({
        200: jsonResponse('The rates; zeros for a queue this process has not seen.', RatesResponse),
      }),
      // No store read, on purpose: the answer costs nothing, and so it cannot tell a queue that
      // does not exist from one that is quiet.
      handle: async (c, { params }) => json(c, 200, presentRate(params.queue, rates.rates(params.queue))),
    }),
    defineEndpoint({
      method: 'get',
      path: '/v1/consumers',
      summary:
        "The local runtime's consumers and their state (deployed: an empty list; consumers are Lambda functions)",
      description:
        'The consumers the local runtime runs (postbox.config.*, POSTBOX_CONSUMERS, --consumer): ' +
        'options, state, batches in flight, handled and failed counts, and the last error. The ' +
        'deployed api function answers an empty list.',
      responses: withErrors({ 200: jsonResponse('Every consumer of this process.', ConsumersResponse) }),
      handle: async (c) => json(c, 200, { consumers: consumers().map(presentConsumer) }),
    }),
    defineEndpoint({
      method: 'post',
      path: '/v1/queues/{queue}/messages/{id}/redrive',
      summary: 'Move one dead letter back to its source queue, or to `to`',
      params: MessageParams,
      body: { schema: RedriveMessageRequest, emptyIsObject: true },
      description:
        'Moves one dead letter to `to`, or back to the queue it was dead-lettered from, in one ' +
        "transaction: it arrives at the end of the target's publish order with receiveCount 0 and " +
        'without deadLetter, keeping its id, body, attributes, priority and group.',
      responses: withErrors(
        { 200: jsonResponse('Moved: where the message is now.', RedriveMessageResponse) },
        {
          400: "ValidationError: an unknown field, or 'to' naming the queue itself.",
          404: 'QueueNotFound for this queue or `to`, or MessageNotFound when the message is gone.',
          409: 'Conflict: the message is in flight, or carries no deadLetter and no `to` was given.',
        },
      ),
      handle: async (c, { params, body }) => {
        if (body.to === params.queue) {
          throw new ValidationError(`'to' cannot be the queue itself ('${params.queue}').`);
        }
        const moved = await engine.redriveMessage(
          params.queue,
          params.id,
          body.to === undefined ? {} : { to: body.to },
        );
        return json(c, 200, moved);
      },
    }),
  ];
}
