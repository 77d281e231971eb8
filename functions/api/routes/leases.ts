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
      description:
        'Delivers up to maxMessages (1–10, default 1) ready messages in delivery order: higher ' +
        "priority first, then publish order (fifo) or reverse publish order (lifo); a group's " +
        'next message only when none of it is in flight. waitSeconds (0–20) holds the request ' +
        'until at least one message is ready or the wait ends (then an empty list). With ack ' +
        'manual (default) each message is leased for visibilityTimeoutSeconds (default: the ' +
        "queue's) and comes with a receipt for ack, release and extend; without an ack it is " +
        'delivered again when the lease ends, with receiveCount one higher, or moved to the ' +
        'dead-letter queue at maxReceiveCount. With ack auto messages are removed as they are ' +
        'delivered (at most once). A leased message is never delivered to anyone else.',
      params: QueueParams,
      body: { schema: ReceiveRequest, emptyIsObject: true },
      responses: withErrors(
        { 200: jsonResponse('The delivered messages, in delivery order.', ReceiveResponse) },
        {
          400: 'InvalidJson or ValidationError: a value out of range, an unknown ack, or an unknown field.',
          404: 'QueueNotFound.',
        },
      ),
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
      description:
        'Removes received messages. {receipt} answers 204; {receipts: [...]} (1–100) answers 200 ' +
        'with one result per receipt, in order: {receipt, ok: true} or {receipt, error: {code, ' +
        'message}}. A receipt holds its message until the message is received again, released, ' +
        'acked, dead-lettered, deleted or purged, so an ack after the lease ended but before ' +
        'anyone received the message again succeeds. A receipt that no longer holds its message ' +
        'answers 409 ReceiptExpired, and the message is left as it is.',
      params: QueueParams,
      body: { schema: AckRequest.or(AckBatchRequest), validate: parseAck },
      responses: withErrors(
        {
          200: jsonResponse('Per-receipt results of a batch ack.', AckBatchResponse),
          204: { description: 'Acknowledged.' },
        },
        {
          400: 'InvalidJson or ValidationError (neither receipt nor receipts, a receipt that is not a string, not 1–100 receipts); InvalidReceipt: a malformed receipt or one issued for another queue.',
          404: 'QueueNotFound.',
          409: 'ReceiptExpired: the receipt no longer holds its message (single receipt; in a batch, per entry).',
        },
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
      description:
        'Gives a received message back: it is ready again after delaySeconds (0–43,200, default ' +
        "0), or moved to the queue's dead-letter queue when its receiveCount has reached " +
        'maxReceiveCount. It keeps its place in publish order.',
      params: QueueParams,
      body: { schema: ReleaseRequest },
      responses: withErrors(
        { 204: { description: 'Released.' } },
        {
          400: 'InvalidJson or ValidationError (receipt missing, delaySeconds out of range, an unknown field); InvalidReceipt: a malformed receipt or one issued for another queue.',
          404: 'QueueNotFound.',
          409: 'ReceiptExpired: the receipt no longer holds its message.',
        },
      ),
      handle: async (c, { params, body }) => {
        await engine.release(params.queue, body.receipt, body.delaySeconds ?? 0);
        return noContent(c);
      },
    }),
    defineEndpoint({
      method: 'post',
      path: '/v1/queues/{queue}/extend',
      summary: 'Extend the lease of a received message (heartbeat)',
      description:
        'Sets the lease of a received message to end visibilityTimeoutSeconds (0–43,200) after ' +
        'this call; 0 makes it ready again at once. The receipt stays the same. Answers the new ' +
        'leaseExpiresAt.',
      params: QueueParams,
      body: { schema: ExtendRequest },
      responses: withErrors(
        { 200: jsonResponse('The new end of the lease.', ExtendResponse) },
        {
          400: 'InvalidJson or ValidationError (receipt or visibilityTimeoutSeconds missing or out of range, an unknown field); InvalidReceipt: a malformed receipt or one issued for another queue.',
          404: 'QueueNotFound.',
          409: 'ReceiptExpired: the receipt no longer holds its message.',
        },
      ),
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
