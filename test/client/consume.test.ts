/**
 * client.consume() against the local server: concurrency, heartbeats, failure → release →
 * redelivery, graceful stop on abort, and errors through the hook.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsumeErrorContext, type PostboxClient, PostboxError } from '../../client/src';
import { eventually, type LocalPostbox, queueName, startPostbox } from './support';

let postbox: LocalPostbox;
let client: PostboxClient;

beforeAll(async () => {
  postbox = await startPostbox();
  client = postbox.client();
});
afterAll(() => postbox?.stop());

/** A client that records the path and body of every request it sends. */
function recordingClient() {
  const sent: { path: string; body: unknown }[] = [];
  const recording = postbox.client({
    fetch: async (input, init) => {
      sent.push({
        path: new URL(String(input)).pathname,
        body: init?.body ? JSON.parse(String(init.body)) : undefined,
      });
      return fetch(input, init);
    },
  });
  return { client: recording, sent };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('consume', () => {
  it('handles every message once, at most `concurrency` at a time, and acks each', async () => {
    const queue = queueName();
    await client.createQueue(queue);
    await client.publishBatch(
      queue,
      Array.from({ length: 12 }, (_, n) => ({ body: { n } })),
    );
    const stop = new AbortController();
    const seen: number[] = [];
    let running = 0;
    let most = 0;
    const done = client.consume<{ n: number }>(
      queue,
      async (message) => {
        running++;
        most = Math.max(most, running);
        await sleep(100);
        seen.push(message.body.n);
        running--;
        if (seen.length === 12) stop.abort();
      },
      { concurrency: 4, batchSize: 2, waitSeconds: 1, signal: stop.signal },
    );
    await done;
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, n) => n));
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(4);
    expect((await client.getQueue(queue)).counts.total).toBe(0);
  });

  it('extends the lease while a handler runs longer than the visibility timeout', async () => {
    const queue = queueName();
    await client.createQueue(queue);
    await client.publish(queue, 'slow');
    const { client: recording, sent } = recordingClient();
    const errors: unknown[] = [];
    const stop = new AbortController();
    let stolen: unknown[] | undefined;
    await recording.consume(
      queue,
      async () => {
        await sleep(2_600);
        // The lease was 2 s at the receive: without heartbeats another consumer would have it now.
        stolen = await client.receive(queue);
        stop.abort();
      },
      {
        visibilityTimeoutSeconds: 2,
        waitSeconds: 1,
        signal: stop.signal,
        onError: (error) => errors.push(error),
      },
    );
    expect(stolen).toEqual([]);
    const extends_ = sent.filter((request) => request.path.endsWith('/extend'));
    expect(extends_.length).toBeGreaterThanOrEqual(2);
    expect(extends_[0]?.body).toMatchObject({ visibilityTimeoutSeconds: 2 });
    expect(errors).toEqual([]);
    expect((await client.getQueue(queue)).counts.total).toBe(0);
  });

  it('releases a message whose handler failed, with backoff, and it is delivered again', async () => {
    const queue = queueName();
    await client.createQueue(queue);
    await client.publish(queue, 'flaky');
    const { client: recording, sent } = recordingClient();
    const errors: ConsumeErrorContext[] = [];
    const deliveries: number[] = [];
    const stop = new AbortController();
    await recording.consume(
      queue,
      (message) => {
        deliveries.push(message.receiveCount);
        if (message.receiveCount === 1) throw new Error('first time fails');
        stop.abort();
      },
      { waitSeconds: 2, signal: stop.signal, onError: (_error, context) => errors.push(context) },
    );
    expect(deliveries).toEqual([1, 2]);
    expect(errors.map((context) => context.phase)).toEqual(['handler']);
    expect(errors[0]?.message?.body).toBe('flaky');
    // The default backoff: 2^(receiveCount-1) seconds.
    const release = sent.find((request) => request.path.endsWith('/release'));
    expect(release?.body).toMatchObject({ delaySeconds: 1 });
    expect((await client.getQueue(queue)).counts.total).toBe(0);
  });

  it('on abort, finishes and acks in-flight messages, then resolves', async () => {
    const queue = queueName();
    await client.createQueue(queue);
    await client.publish(queue, 'in flight');
    const stop = new AbortController();
    let started = false;
    let finished = false;
    const done = client.consume(
      queue,
      async () => {
        started = true;
        await sleep(800);
        finished = true;
      },
      { waitSeconds: 1, signal: stop.signal },
    );
    await eventually(() => started);
    stop.abort();
    await done;
    expect(finished).toBe(true);
    expect((await client.getQueue(queue)).counts.total).toBe(0);
  });

  it('cuts a pending long poll short on abort', async () => {
    const queue = queueName();
    await client.createQueue(queue);
    const stop = new AbortController();
    const started = Date.now();
    const done = client.consume(queue, () => {}, { signal: stop.signal, visibilityTimeoutSeconds: 30 });
    await sleep(300);
    stop.abort();
    await done;
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('rejects when the queue does not exist', async () => {
    const error = await client.consume(queueName('missing'), () => {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PostboxError);
    expect(error).toMatchObject({ status: 404, code: 'QueueNotFound' });
  });

  it('reports a lost lease through the hook', async () => {
    const queue = queueName();
    await client.createQueue(queue);
    await client.publish(queue, 'purged while handled');
    const stop = new AbortController();
    const phases: string[] = [];
    await client.consume(
      queue,
      async () => {
        await client.purgeQueue(queue);
        stop.abort();
      },
      {
        waitSeconds: 1,
        signal: stop.signal,
        onError: (error, context) => phases.push(`${context.phase}:${(error as PostboxError).code}`),
      },
    );
    expect(phases).toEqual(['ack:ReceiptExpired']);
  });
});
