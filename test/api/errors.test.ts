/**
 * The one map from errors to HTTP: engine errors by code, store throttling and outages as 503
 * with Retry-After, anything else a logged 500 that says nothing internal.
 */
import {
  ProvisionedThroughputExceededException,
  ThrottlingException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { createApp } from '../../functions/api/app';
import { isStoreUnavailable, toErrorAnswer } from '../../functions/api/errors';
import {
  ConflictError,
  InvalidReceiptError,
  MessageNotFoundError,
  PayloadTooLargeError,
  QueueFullError,
  QueueNotFoundError,
  ReceiptExpiredError,
  ServiceUnavailableError,
  TopicNotFoundError,
  ValidationError,
} from '../../functions/core/errors';
import { expectError, send, stubEngine } from './support';

let logged: MockInstance;
beforeEach(() => {
  logged = vi.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(() => {
  vi.restoreAllMocks();
});

const metadata = { httpStatusCode: 400, attempts: 3, totalRetryDelay: 100 };

/** Answers GET /v1/queues/q through an engine whose getQueue throws `error`. */
async function answerFor(error: unknown) {
  const engine = stubEngine({
    getQueue: async () => {
      throw error;
    },
  });
  return send(createApp({ engine }), 'GET', '/v1/queues/q');
}

describe('engine errors', () => {
  const cases: [Error, number, string][] = [
    [new ValidationError('cursor: bad'), 400, 'ValidationError'],
    [new InvalidReceiptError(), 400, 'InvalidReceipt'],
    [new QueueNotFoundError('q'), 404, 'QueueNotFound'],
    [new TopicNotFoundError('t'), 404, 'TopicNotFound'],
    [new MessageNotFoundError('q', 'm'), 404, 'MessageNotFound'],
    [new ReceiptExpiredError(), 409, 'ReceiptExpired'],
    [new ConflictError('order cannot change'), 409, 'Conflict'],
    [new PayloadTooLargeError('too big'), 413, 'PayloadTooLarge'],
    [new QueueFullError('q'), 429, 'QueueFull'],
    [new ServiceUnavailableError(), 503, 'ServiceUnavailable'],
  ];
  it.each(cases)('%s → %i %s', async (error, status, code) => {
    const answer = await answerFor(error);
    expectError(answer, status, code, error.message);
    const retryAfter = answer.headers.get('retry-after');
    if (status === 429 || status === 503) expect(retryAfter).toMatch(/^[1-9]\d*$/);
    else expect(retryAfter).toBeNull();
    expect(logged).not.toHaveBeenCalled();
  });
});

describe('store throttling and outages', () => {
  const sdk = (name: string, extra: object = {}) =>
    Object.assign(new Error(`${name} from the store`), { name, $metadata: metadata, ...extra });
  const network = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:8000`), { code });

  const cases: [string, unknown][] = [
    [
      'ProvisionedThroughputExceededException',
      new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: metadata }),
    ],
    ['ThrottlingException', new ThrottlingException({ message: 'slow down', $metadata: metadata })],
    ['RequestLimitExceeded', sdk('RequestLimitExceeded')],
    ['TimeoutError', sdk('TimeoutError')],
    ['InternalServerError', sdk('InternalServerError', { $fault: 'server' })],
    ['a 503 from the service', sdk('Whatever', { $metadata: { ...metadata, httpStatusCode: 503 } })],
    ['ECONNREFUSED', network('ECONNREFUSED')],
    ['ECONNRESET', network('ECONNRESET')],
    ['ETIMEDOUT', network('ETIMEDOUT')],
    ['ENOTFOUND', network('ENOTFOUND')],
    ['a wrapped socket error', new Error('request failed', { cause: network('ECONNREFUSED') })],
    [
      'a transaction cancelled by throttling',
      new TransactionCanceledException({
        message: 'cancelled',
        $metadata: metadata,
        CancellationReasons: [{ Code: 'None' }, { Code: 'ThrottlingError' }],
      }),
    ],
  ];
  it.each(cases)('%s → 503 ServiceUnavailable with Retry-After', async (_name, error) => {
    expect(isStoreUnavailable(error)).toBe(true);
    const answer = await answerFor(error);
    expectError(answer, 503, 'ServiceUnavailable');
    expect(answer.headers.get('retry-after')).toBe('1');
    expect(answer.text).not.toContain('127.0.0.1');
  });

  it('does not take a client fault of the SDK for an outage', () => {
    expect(isStoreUnavailable(sdk('ValidationException', { $fault: 'client' }))).toBe(false);
    expect(
      isStoreUnavailable(
        new TransactionCanceledException({
          message: 'cancelled',
          $metadata: metadata,
          CancellationReasons: [{ Code: 'ConditionalCheckFailed' }],
        }),
      ),
    ).toBe(false);
  });
});

describe('anything else', () => {
  it('is logged without the request body and answered 500 InternalError saying nothing internal', async () => {
    const engine = stubEngine({
      publish: async () => {
        throw new TypeError("Cannot read properties of undefined (reading 'pk') at /srv/secret/path");
      },
    });
    const answer = await send(createApp({ engine }), 'POST', '/v1/queues/q/messages', {
      body: 'private-payload-42',
    });
    expectError(answer, 500, 'InternalError');
    expect(answer.text).not.toMatch(/pk|secret|TypeError|undefined/);
    expect(logged).toHaveBeenCalledTimes(1);
    const line = String(logged.mock.calls[0]?.[0]);
    expect(line).toContain('TypeError');
    expect(line).toContain('/v1/queues/q/messages');
    expect(line).not.toContain('private-payload-42');
  });

  it('covers non-Error throws too', () => {
    expect(toErrorAnswer('a string').status).toBe(500);
    expect(toErrorAnswer(undefined).status).toBe(500);
    expect(toErrorAnswer(null).code).toBe('InternalError');
  });
});

describe('GET /v1/health', () => {
  it('answers 200 {"status":"ok"} when the store answers', async () => {
    const answer = await send(
      createApp({ engine: stubEngine({ health: async () => {} }) }),
      'GET',
      '/v1/health',
    );
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ status: 'ok' });
  });

  it('answers 503 ServiceUnavailable with Retry-After whenever health throws', async () => {
    for (const error of [new ServiceUnavailableError(), new Error('socket hang up'), 'odd']) {
      const engine = stubEngine({
        health: async () => {
          throw error;
        },
      });
      const answer = await send(createApp({ engine }), 'GET', '/v1/health');
      expectError(answer, 503, 'ServiceUnavailable');
      expect(answer.headers.get('retry-after')).toBe('1');
    }
  });
});
