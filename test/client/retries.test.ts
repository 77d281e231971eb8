/**
 * Retries: which failures each kind of call repeats (retry.ts), the backoff, Retry-After, and
 * the "settle" rule for acks and deletes. Against a scripted stub server on 127.0.0.1.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PostboxClient, PostboxError } from '../../client/src';
import { backoffMs, mayRetry, RETRY_DEFAULTS } from '../../client/src/retry';
import { freePort } from '../../functions/local/dynamodb-local';
import { errorBody, type Stub, startStub } from './stub-server';

let stub: Stub;
let client: PostboxClient;

beforeAll(async () => {
  stub = await startStub();
});
afterAll(() => stub?.close());
beforeEach(() => {
  // Short waits: the backoff is bounded by 20 ms, timeouts are 400 ms.
  client = new PostboxClient({ url: stub.url, timeoutMs: 400, retry: { baseDelayMs: 10, maxDelayMs: 20 } });
});

const published = {
  status: 201,
  body: { id: 'm1', deliverAt: '2030-01-01T00:00:00.000Z', duplicate: false },
};
const unavailable = (retryAfter = '0') => ({
  status: 503,
  body: errorBody('ServiceUnavailable'),
  headers: { 'retry-after': retryAfter },
});

async function failure(promise: Promise<unknown>): Promise<PostboxError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PostboxError);
  return error as PostboxError;
}

describe('429 and 503 answers (nothing was stored)', () => {
  it('retries any call, waiting at least Retry-After', async () => {
    stub.script(unavailable('1'), published);
    const result = await client.publish('q', 'body');
    expect(result.id).toBe('m1');
    expect(stub.requests).toHaveLength(2);
    const [first, second] = stub.requests;
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it('retries a publish refused with QueueFull', async () => {
    stub.script({ status: 429, body: errorBody('QueueFull'), headers: { 'retry-after': '0' } }, published);
    expect((await client.publish('q', 'body')).id).toBe('m1');
    expect(stub.requests).toHaveLength(2);
  });

  it('gives up after maxAttempts with the last error, Retry-After included', async () => {
    stub.script(unavailable(), unavailable(), unavailable(), unavailable(), unavailable());
    const error = await failure(client.getQueue('q'));
    expect(error).toMatchObject({ status: 503, code: 'ServiceUnavailable', retryAfterSeconds: 0 });
    expect(stub.requests).toHaveLength(RETRY_DEFAULTS.maxAttempts);
  });

  it('does not wait for a Retry-After beyond maxRetryAfterSeconds', async () => {
    stub.script(unavailable('120'));
    const error = await failure(client.getQueue('q'));
    expect(error.retryAfterSeconds).toBe(120);
    expect(stub.requests).toHaveLength(1);
  });

  it('does not retry at all with retry: false', async () => {
    const once = new PostboxClient({ url: stub.url, retry: false });
    stub.script(unavailable());
    await failure(once.getQueue('q'));
    expect(stub.requests).toHaveLength(1);
  });

  it('never retries other error answers', async () => {
    stub.script({ status: 500, body: errorBody('InternalError') });
    expect(await failure(client.getQueue('q'))).toMatchObject({ status: 500, code: 'InternalError' });
    stub.script({ status: 404, body: errorBody('QueueNotFound', "Queue 'q' does not exist.") });
    expect(await failure(client.getQueue('q'))).toMatchObject({
      code: 'QueueNotFound',
      message: "Queue 'q' does not exist.",
    });
    expect(stub.requests).toHaveLength(1);
  });
});

describe('lost answers (timeout, reset, gateway 502/504): the outcome is unknown', () => {
  it('never repeats a publish without deduplicationId', async () => {
    stub.script('hang', published);
    expect(await failure(client.publish('q', 'body'))).toMatchObject({ status: 0, code: 'Timeout' });
    stub.script('reset', published);
    expect(await failure(client.publish('q', 'body'))).toMatchObject({ status: 0, code: 'NetworkError' });
    stub.script({ status: 504, body: { message: 'Endpoint request timed out' } }, published);
    expect(await failure(client.publish('q', 'body'))).toMatchObject({ status: 504 });
    expect(stub.requests).toHaveLength(1);
  });

  it('repeats a publish with a deduplicationId, which makes the repeat harmless', async () => {
    stub.script('hang', published);
    expect((await client.publish('q', 'body', { deduplicationId: 'd' })).id).toBe('m1');
    expect(stub.requests.map((r) => JSON.parse(r.body).deduplicationId)).toEqual(['d', 'd']);
  });

  it('repeats a batch publish only when every entry has a deduplicationId', async () => {
    const results = { status: 200, body: { results: [published.body] } };
    stub.script('reset', results);
    await failure(client.publishBatch('q', [{ body: 1, deduplicationId: 'a' }, { body: 2 }]));
    expect(stub.requests).toHaveLength(1);
    stub.script('reset', results);
    await client.publishBatch('q', [{ body: 1, deduplicationId: 'a' }]);
    expect(stub.requests).toHaveLength(2);
  });

  it('repeats a manual-ack receive, never an auto-ack one', async () => {
    const messages = { status: 200, body: { messages: [] } };
    stub.script('reset', messages);
    await client.receive('q');
    expect(stub.requests).toHaveLength(2);
    stub.script('reset', messages);
    await failure(client.receive('q', { ack: 'auto' }));
    expect(stub.requests).toHaveLength(1);
  });

  it('repeats reads and idempotent changes', async () => {
    stub.script({ status: 502, body: 'Bad Gateway' }, { status: 200, body: { status: 'ok' } });
    expect(await client.health()).toEqual({ status: 'ok' });
    stub.script('hang', { status: 200, body: { leaseExpiresAt: '2030-01-01T00:00:00.000Z' } });
    expect(await client.extend('q', 'r', 30)).toEqual({ leaseExpiresAt: '2030-01-01T00:00:00.000Z' });
  });

  it('never repeats a redrive', async () => {
    stub.script('reset', { status: 200, body: { moved: 1 } });
    await failure(client.redrive('dlq'));
    expect(stub.requests).toHaveLength(1);
  });
});

describe('connection refused: nothing was sent', () => {
  it('repeats even a publish without deduplicationId', async () => {
    let calls = 0;
    const refusingOnce: typeof fetch = async (input, init) => {
      if (calls++ === 0) {
        throw new TypeError('fetch failed', {
          cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
        });
      }
      return fetch(input, init);
    };
    const flaky = new PostboxClient({ url: stub.url, fetch: refusingOnce, retry: { baseDelayMs: 1 } });
    stub.script(published);
    expect((await flaky.publish('q', 'body')).id).toBe('m1');
    expect(calls).toBe(2);
    expect(stub.requests).toHaveLength(1);
  });

  it('reports an unreachable server as NetworkError, status 0', async () => {
    // A port nobody listens on (freePort closes the one it found).
    const nowhere = new PostboxClient({
      url: `http://127.0.0.1:${await freePort()}`,
      retry: { maxAttempts: 2, baseDelayMs: 1 },
    });
    const error = await failure(nowhere.health());
    expect(error).toMatchObject({ status: 0, code: 'NetworkError' });
    expect(error.message).toContain('ECONNREFUSED');
  });
});

describe('settle: ack, release and deletes', () => {
  const expired = { status: 409, body: errorBody('ReceiptExpired') };

  it('takes ReceiptExpired on a repeated ack as done when the first attempt was lost', async () => {
    stub.script('hang', expired);
    await client.ack('q', 'r');
    expect(stub.requests).toHaveLength(2);
    stub.script('reset', expired);
    await client.release('q', 'r');
    expect(stub.requests).toHaveLength(2);
  });

  it('throws ReceiptExpired when no earlier attempt can have acked', async () => {
    stub.script(unavailable(), expired);
    expect(await failure(client.ack('q', 'r'))).toMatchObject({ status: 409, code: 'ReceiptExpired' });
    stub.script(expired);
    expect(await failure(client.ack('q', 'r'))).toMatchObject({ status: 409, code: 'ReceiptExpired' });
  });

  it('marks ReceiptExpired entries of a repeated batch ack as acked', async () => {
    const answer = {
      status: 200,
      body: {
        results: [
          { receipt: 'a', error: { code: 'ReceiptExpired', message: 'gone' } },
          { receipt: 'b', error: { code: 'InvalidReceipt', message: 'bad' } },
        ],
      },
    };
    stub.script('hang', answer);
    expect(await client.ackBatch('q', ['a', 'b'])).toEqual([
      { receipt: 'a', ok: true },
      { receipt: 'b', error: { code: 'InvalidReceipt', message: 'bad' } },
    ]);
    stub.script(answer);
    expect((await client.ackBatch('q', ['a', 'b']))[0]).toMatchObject({ error: { code: 'ReceiptExpired' } });
  });

  it('takes NotFound on a repeated delete as done', async () => {
    stub.script('reset', { status: 404, body: errorBody('MessageNotFound') });
    await client.deleteMessage('q', 'm');
    stub.script('reset', { status: 404, body: errorBody('QueueNotFound') });
    await client.deleteQueue('q');
    stub.script({ status: 404, body: errorBody('QueueNotFound') });
    expect(await failure(client.deleteQueue('q'))).toMatchObject({ code: 'QueueNotFound' });
  });
});

describe('answers in other shapes', () => {
  it("maps API Gateway's own 403 body to Forbidden", async () => {
    stub.script({ status: 403, body: { message: 'Missing Authentication Token' } });
    expect(await failure(client.listQueues())).toMatchObject({
      status: 403,
      code: 'Forbidden',
      message: 'Missing Authentication Token',
    });
  });
});

describe('requests', () => {
  it('sends the bearer token, JSON and encoded paths and queries', async () => {
    const withToken = new PostboxClient({ url: `${stub.url}/stage/`, token: 't0k' });
    stub.script({ status: 200, body: { messages: [], cursor: null } });
    await withToken.browse('q', { state: 'inFlight', limit: 5, cursor: 'a+b/c=' });
    const [request] = stub.requests;
    expect(request?.url).toBe('/stage/v1/queues/q/messages?state=inFlight&limit=5&cursor=a%2Bb%2Fc%3D');
    expect(request?.headers.authorization).toBe('Bearer t0k');
  });

  it('strips call options from the body', async () => {
    stub.script(published);
    await client.publish(
      'q',
      { a: 1 },
      { priority: 3, timeoutMs: 1_000, signal: new AbortController().signal },
    );
    expect(JSON.parse(stub.requests[0]?.body ?? '')).toEqual({ body: { a: 1 }, priority: 3 });
  });
});

describe('backoff', () => {
  const options = { ...RETRY_DEFAULTS, baseDelayMs: 100, maxDelayMs: 1_000 };
  const error = (retryAfterSeconds?: number) =>
    new PostboxError(503, 'ServiceUnavailable', 'x', { retryAfterSeconds });

  it('is full jitter: uniform below min(maxDelayMs, baseDelayMs * 2^(attempt-1))', () => {
    expect(backoffMs(1, error(), options, () => 0.999)).toBeCloseTo(99.9);
    expect(backoffMs(3, error(), options, () => 0.5)).toBe(200);
    expect(backoffMs(10, error(), options, () => 1)).toBe(1_000);
    expect(backoffMs(2, error(), options, () => 0)).toBe(0);
  });

  it('waits at least Retry-After, and gives up beyond maxRetryAfterSeconds', () => {
    expect(backoffMs(1, error(2), options, () => 0)).toBe(2_000);
    expect(backoffMs(1, error(21), options, () => 0)).toBeUndefined();
  });

  it('repeats by call class', () => {
    const answer = { kind: 'answer' as const, error: error() };
    const conflict = { kind: 'answer' as const, error: new PostboxError(409, 'Conflict', 'x') };
    const unknown = { kind: 'unknown' as const, error: error() };
    const notSent = { kind: 'notSent' as const, error: error() };
    expect([mayRetry('once', answer), mayRetry('once', notSent), mayRetry('once', unknown)]).toEqual([
      true,
      true,
      false,
    ]);
    expect([mayRetry('settle', unknown), mayRetry('idempotent', unknown)]).toEqual([true, true]);
    expect(mayRetry('idempotent', conflict)).toBe(false);
  });
});
