/**
 * Consumer routes: receive (with long poll), ack (one or a batch), release, extend.
 */
import { defineEndpoint, type Endpoint } from '../endpoint';
import { errorBody, logUnexpected, toErrorAnswer } from '../errors';
import { json, noContent, presentDelivery } from '../present';
import {
  AckBatchRequest,
  AckBatchResponse,
  AckRequest,
  ExtendRequest,
  ExtendResponse,
  QueueParams,
  ReceiveRequest,
  ReceiveResponse,
  ReleaseRequest,
} from '../schemas';
import { isoTime } from '../times';
import { parseOrThrow } from '../validation';
import type { RouteDeps } from './deps';
import { jsonResponse, withErrors } from './responses';

type AckBody = { receipt: string } | { receipts: string[] };

/** `receipts` makes it a batch; otherwise it is one `receipt`. Each shape is checked strictly. */
const parseAck = (raw: Record<string, unknown>): AckBody =>
  Object.hasOwn(raw, 'receipts') ? parseOrThrow(AckBatchRequest, raw) : parseOrThrow(AckRequest, raw);

export function leaseEndpoints({ engine }: RouteDeps): Endpoint[] {
  return [
    defineEndpoint({
      method: 'post',
      path: '/v1/queues/{queue}/receive',
      summary: 'Receive messages (long poll with waitSeconds)',
      params: QueueParams,
      body: { schema: ReceiveRequest, emptyIsObject: true },
      responses: withErrors({
        200: jsonResponse('The delivered messages, in delivery order.', ReceiveResponse),
      }),
      handle: async (c, { params, body }) => {
        const ack = body.ack ?? 'manual';
        const messages = await engine.receive(params.queue, {
          maxMessages: body.maxMessages ?? 1,
          waitSeconds: body.waitSeconds ?? 0,
          visibilityTimeoutSeconds: body.visibilityTimeoutSeconds,
          ack,
          // A long poll ends early when the client goes away.
          signal: c.req.raw.signal,
        });
        return json(c, 200, {
          messages: messages.map((message) => presentDelivery(message, ack === 'manual')),
        });
      },
    }),
    defineEndpoint({
      method: 'post',
      path: '/v1/queues/{queue}/ack',
      summary: 'Acknowledge one receipt (204) or up to 100 (200 with per-receipt results)',
      params: QueueParams,
      body: { schema: AckRequest.or(AckBatchRequest), validate: parseAck },
      responses: withErrors(
        {
          200: jsonResponse('Per-receipt results of a batch ack.', AckBatchResponse),
          204: { description: 'Acknowledged.' },
        },
        409,
      ),
      handle: async (c, { params, body }) => {
        if ('receipt' in body) {
          await engine.ack(params.queue, body.receipt);
          return noContent(c);
        }
        const outcomes = await engine.ackBatch(params.queue, body.receipts);
        const results = body.receipts.map((receipt, i) => {
          const outcome = outcomes[i] ?? { ok: false as const, error: new Error('Missing ack result.') };
          if (outcome.ok) return { receipt, ok: true };
          const { code, message, unexpected } = toErrorAnswer(outcome.error);
          if (unexpected) logUnexpected(outcome.error, { method: c.req.method, path: c.req.path });
          return { receipt, ...errorBody(code, message) };
        });
        return json(c, 200, { results });
      },
    }),
    defineEndpoint({
      method: 'post',
      path: '/v1/queues/{queue}/release',
      summary: 'Release a received message (negative ack)',
      params: QueueParams,
      body: { schema: ReleaseRequest },
      responses: withErrors({ 204: { description: 'Released.' } }, 409),
      handle: async (c, { params, body }) => {
        await engine.release(params.queue, body.receipt, body.delaySeconds ?? 0);
        return noContent(c);
      },
    }),
    defineEndpoint({
      method: 'post',
      path: '/v1/queues/{queue}/extend',
      summary: 'Extend the lease of a received message (heartbeat)',
      params: QueueParams,
      body: { schema: ExtendRequest },
      responses: withErrors({ 200: jsonResponse('The new end of the lease.', ExtendResponse) }, 409),
      handle: async (c, { params, body }) => {
        const { leaseExpiresAt } = await engine.extend(
          params.queue,
          body.receipt,
          body.visibilityTimeoutSeconds,
        );
        return json(c, 200, { leaseExpiresAt: isoTime(leaseExpiresAt) });
      },
    }),
  ];
}
