/**
 * PostboxClient against the local server on DynamoDB Local: every route of docs/api.md through its
 * typed method, and errors as PostboxError with the contract's status and code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostboxClient, PostboxError } from '../../client/src';
import { type LocalPostbox, queueName, startPostbox } from './support';

let postbox: LocalPostbox;
let client: PostboxClient;

beforeAll(async () => {
  postbox = await startPostbox();
  client = postbox.client();
});
afterAll(() => postbox?.stop());

/** The PostboxError a promise rejects with (fails the test if it resolves). */
async function failure(promise: Promise<unknown>): Promise<PostboxError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PostboxError);
  return error as PostboxError;
}

/** A source queue that dead-letters into `dlq` after one receive, and the one message it has dead-lettered. */
async function deadLetterOne(): Promise<{ source: string; dlq: string; id: string }> {
  const source = queueName('src');
  const dlq = queueName('dlq');
  await client.createQueue(dlq);
  await client.createQueue(source, { deadLetterQueue: dlq, maxReceiveCount: 1 });
  const { id } = await client.publish(source, 'poison');
  const [message] = await client.receive(source);
  await client.release(source, message?.receipt ?? '');
  return { source, dlq, id };
}

describe('queues', () => {
  it('creates, updates, gets with counts, lists, purges and deletes a queue', async () => {
    const name = queueName();
    const first = await client.putQueue(name, { visibilityTimeoutSeconds: 45 });
    expect(first.created).toBe(true);
    expect(first.queue).toMatchObject({
      name,
      order: 'fifo',
      visibilityTimeoutSeconds: 45,
      maxReceiveCount: null,
    });

    const again = await client.putQueue(name, { delaySeconds: 0 });
    expect(again.created).toBe(false);
    expect(again.queue.visibilityTimeoutSeconds).toBe(45);

    await client.publish(name, 'one');
    const withCounts = await client.getQueue(name);
    expect(withCounts.counts).toEqual({ ready: 1, delayed: 0, inFlight: 0, total: 1 });

    const names: string[] = [];
    for await (const queue of client.allQueues()) names.push(queue.name);
    expect(names).toContain(name);
    const page = await client.listQueues({ limit: 1 });
    expect(page.queues).toHaveLength(1);

    await client.purgeQueue(name);
    expect((await client.getQueue(name)).counts.total).toBe(0);
    await client.deleteQueue(name);
    const gone = await failure(client.getQueue(name));
    expect(gone).toMatchObject({ status: 404, code: 'QueueNotFound' });
  });

  it('pauses and resumes a queue, and sets and clears its rate limit', async () => {
    const name = queueName();
    const { queue } = await client.putQueue(name, { rateLimit: { perSecond: 5, burst: 10 } });
    expect(queue).toMatchObject({ rateLimit: { perSecond: 5, burst: 10 }, paused: false });
    await client.publish(name, 'held');
    await client.pauseQueue(name);
    expect((await client.getQueue(name)).paused).toBe(true);
    expect(await client.receive(name)).toEqual([]);
    await client.resumeQueue(name);
    expect((await client.receive(name, { ack: 'auto' })).map((m) => m.body)).toEqual(['held']);
    expect((await client.putQueue(name, { rateLimit: null })).queue.rateLimit).toBeNull();
    expect(await failure(client.pauseQueue(queueName('missing')))).toMatchObject({
      status: 404,
      code: 'QueueNotFound',
    });
  });

  it('pages through queues with allQueues', async () => {
    const prefix = queueName('page');
    const created = [`${prefix}-a`, `${prefix}-b`, `${prefix}-c`];
    for (const name of created) await client.createQueue(name);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listQueues({ limit: 2, cursor });
      seen.push(...page.queues.map((queue) => queue.name));
      cursor = page.cursor ?? undefined;
    } while (cursor);
    expect(seen.filter((name) => name.startsWith(prefix))).toEqual(created);
  });
});

describe('publish, receive, ack, release, extend', () => {
  it('round-trips a typed body with its options', async () => {
    const queue = queueName();
    await client.createQueue(queue);
    const published = await client.publish(
      queue,
      { orderId: 42 },
      { priority: 7, attributes: { region: 'eu' } },
    );
    expect(published.duplicate).toBe(false);

    const [message, ...rest] = await client.receive<{ orderId: number }>(queue, { maxMessages: 10 });
    expect(rest).toHaveLength(0);
    expect(message).toMatchObject({
      id: published.id,
      body: { orderId: 42 },
      priority: 7,
      attributes: { region: 'eu' },
      receiveCount: 1,
      groupId: null,
      deadLetter: null,
    });
    const receipt = message?.receipt ?? '';
    const extended = await client.extend(queue, receipt, 120);
    expect(Date.parse(extended.leaseExpiresAt)).toBeGreaterThan(Date.now() + 100_000);
    await client.ack(queue, receipt);

    const again = await failure(client.ack(queue, receipt));
    expect(again).toMatchObject({ status: 409, code: 'ReceiptExpired' });
  });

  it('accepts deliverAt as a Date and deduplicates by deduplicationId', async () => {
    const queue = queueName();
    await client.createQueue(queue);
    const at = new Date(Date.now() + 3_600_000);
    const first = await client.publish(queue, 'later', { deliverAt: at, deduplicationId: 'd-1' });
    expect(first.deliverAt).toBe(at.toISOString());
    const second = await client.publish(queue, 'later', { deduplicationId: 'd-1' });
    expect(second).toMatchObject({ id: first.id, duplicate: true });
    expect((await client.browse(queue, { state: 'delayed' })).messages.map((m) => m.id)).toEqual([first.id]);
  });

  it('publishes a batch with one result per entry, an entry failing alone', async () => {
    const queue = queueName();
    await client.createQueue(queue);
    const results = await client.publishBatch(queue, [
      { body: 1 },
      { body: 2, priority: 10 },
      { body: 3, deduplicationId: 'x' },
    ]);
    expect(results).toHaveLength(3);
    expect(results[0]).toMatchObject({ duplicate: false });
    expect(results[1]).toMatchObject({ error: { code: 'ValidationError' } });
    expect(results[2]).toMatchObject({ duplicate: false });
  });

  it('acks a batch and releases a message back to the queue', async () => {
    const queue = queueName();
    await client.createQueue(queue);
    await client.publishBatch(queue, [{ body: 'a' }, { body: 'b' }, { body: 'c' }]);
    const messages = await client.receive(queue, { maxMessages: 3 });
    expect(messages.map((m) => m.body)).toEqual(['a', 'b', 'c']);
    const [a, b, c] = messages.map((m) => m.receipt ?? '');

    const results = await client.ackBatch(queue, [a ?? '', b ?? '']);
    expect(results).toEqual([
      { receipt: a, ok: true },
      { receipt: b, ok: true },
    ]);
    await client.release(queue, c ?? '', { delaySeconds: 0 });
    const [redelivered] = await client.receive(queue, { waitSeconds: 2 });
    expect(redelivered).toMatchObject({ body: 'c', receiveCount: 2 });
  });

  it('receives with ack auto: no receipt, and the message is gone', async () => {
    const queue = queueName();
    await client.createQueue(queue);
    await client.publish(queue, 'once');
    const [message] = await client.receive(queue, { ack: 'auto' });
    expect(message?.body).toBe('once');
    expect(message?.receipt).toBeUndefined();
    expect((await client.getQueue(queue)).counts.total).toBe(0);
  });

  it('long-polls until a message arrives', async () => {
    const queue = queueName();
    await client.createQueue(queue);
    const receiving = client.receive(queue, { waitSeconds: 10 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await client.publish(queue, 'wake up');
    const [message] = await receiving;
    expect(message?.body).toBe('wake up');
  });
});

describe('looking at and changing messages', () => {
  it('browses, gets, reschedules and deletes a message', async () => {
    const queue = queueName();
    await client.createQueue(queue);
    const { id } = await client.publish(queue, { n: 1 }, { delaySeconds: 600 });

    const page = await client.browse<{ n: number }>(queue, { state: 'all', limit: 10 });
    expect(page.cursor).toBeNull();
    expect(page.messages[0]).toMatchObject({ id, state: 'delayed', body: { n: 1 } });

    const later = new Date(Date.now() + 7_200_000);
    const rescheduled = await client.reschedule(queue, id, { deliverAt: later, priority: 4 });
    expect(rescheduled).toMatchObject({ id, state: 'delayed', priority: 4, deliverAt: later.toISOString() });
    const now = await client.reschedule(queue, id, { delaySeconds: 0 });
    expect(now.state).toBe('ready');
    expect((await client.getMessage(queue, id)).priority).toBe(4);

    await client.deleteMessage(queue, id);
    const gone = await failure(client.getMessage(queue, id));
    expect(gone).toMatchObject({ status: 404, code: 'MessageNotFound' });
  });

  it('redrives dead letters back to their source queue', async () => {
    const { source, dlq, id } = await deadLetterOne();

    const [dead] = (await client.browse(dlq)).messages;
    expect(dead).toMatchObject({ id, deadLetter: { sourceQueue: source, reason: 'maxReceiveCount' } });
    expect(await client.redrive(dlq)).toEqual({ moved: 1 });
    expect((await client.getMessage(source, id)).deadLetter).toBeNull();

    const conflict = await failure(client.deleteQueue(dlq));
    expect(conflict).toMatchObject({ status: 409, code: 'Conflict' });
  });

  it('redrives one dead letter, and reads the rates and consumers of the server', async () => {
    const { source, dlq, id } = await deadLetterOne();
    expect(await client.redriveMessage(dlq, id)).toEqual({ queue: source, id });
    const again = await failure(client.redriveMessage(dlq, id));
    expect(again).toMatchObject({ status: 404, code: 'MessageNotFound' });

    const rates = await client.rates(source);
    expect(rates).toMatchObject({
      queue: source,
      scope: 'process',
      published: { total: 1 },
      delivered: { total: 1 },
    });
    expect(rates.published.perSecond).toBeGreaterThan(0);
    expect(Array.isArray(await client.consumers())).toBe(true);
  });
});

describe('topics', () => {
  it('creates a topic, fans a publish out by filter, lists, gets and deletes it', async () => {
    const topic = queueName('topic');
    const all = queueName('all');
    const eu = queueName('eu');
    await client.createQueue(all);
    await client.createQueue(eu);
    const { topic: created, created: isNew } = await client.putTopic(topic, [
      { queue: all },
      { queue: eu, filter: { region: ['eu'] } },
    ]);
    expect(isNew).toBe(true);
    expect(created.subscriptions).toHaveLength(2);

    const us = await client.publishToTopic(topic, { n: 1 }, { attributes: { region: 'us' } });
    expect(us.deliveries.map((d) => d.queue)).toEqual([all]);
    const toEu = await client.publishToTopic(topic, { n: 2 }, { attributes: { region: 'eu' } });
    expect(toEu.deliveries.map((d) => d.queue).sort()).toEqual([all, eu].sort());

    expect((await client.getTopic(topic)).name).toBe(topic);
    const names: string[] = [];
    for await (const t of client.allTopics()) names.push(t.name);
    expect(names).toContain(topic);
    expect((await client.listTopics({ limit: 100 })).topics.map((t) => t.name)).toContain(topic);

    await client.deleteTopic(topic);
    expect(await failure(client.getTopic(topic))).toMatchObject({ status: 404, code: 'TopicNotFound' });
  });
});

describe('schedules', () => {
  it('puts, gets with next firings, lists, pauses, resumes and deletes a schedule', async () => {
    const queue = queueName('sched');
    await client.createQueue(queue);
    const name = queueName('report');
    const start = new Date(Date.now() + 3_600_000);
    const { schedule, created } = await client.putSchedule(name, {
      cron: 'CRON_TZ=Europe/Berlin 0 9 * * 1-5',
      target: { queue },
      message: { body: { report: 'daily' }, attributes: { kind: 'report' } },
      start,
    });
    expect(created).toBe(true);
    expect(schedule).toMatchObject({
      name,
      timeZone: 'Europe/Berlin',
      start: start.toISOString(),
      paused: false,
    });
    expect(schedule.nextFirings).toHaveLength(5);
    expect(
      (await client.putSchedule(name, { everySeconds: 60, target: { queue }, message: { body: 1 } })).created,
    ).toBe(false);
    await client.putSchedule(name, { cron: '0 9 * * 1-5', target: { queue }, message: { body: 'x' } });
    expect((await client.getSchedule(name)).cron).toBe('0 9 * * 1-5');

    const names: string[] = [];
    for await (const each of client.allSchedules()) names.push(each.name);
    expect(names).toContain(name);

    const paused = await client.setSchedulePaused(name, true);
    expect(paused).toMatchObject({
      paused: true,
      nextFirings: [],
      cron: '0 9 * * 1-5',
      message: { body: 'x' },
    });
    const resumed = await client.setSchedulePaused(name, false);
    expect(resumed.nextFirings).toHaveLength(5);

    await client.deleteSchedule(name);
    expect((await failure(client.getSchedule(name))).code).toBe('NotFound');
    const bad = await failure(client.putSchedule(name, { target: { queue }, message: { body: 1 } }));
    expect(bad).toMatchObject({ status: 400, code: 'ValidationError' });
  });
});

describe('errors and auth', () => {
  it('answers health without a token', async () => {
    expect(await new PostboxClient({ url: postbox.url }).health()).toEqual({ status: 'ok' });
  });

  it('throws Unauthorized without the token', async () => {
    const anonymous = new PostboxClient({ url: postbox.url });
    expect(await failure(anonymous.listQueues())).toMatchObject({ status: 401, code: 'Unauthorized' });
  });

  it('carries the contract code and message of a validation error', async () => {
    const queue = queueName();
    await client.createQueue(queue);
    const error = await failure(client.publish(queue, 'x', { priority: 12 }));
    expect(error).toMatchObject({ status: 400, code: 'ValidationError', name: 'PostboxError' });
    expect(error.message).toContain('priority');
    expect(error.is('ValidationError')).toBe(true);
    expect(error.is(400)).toBe(true);
  });

  it('answers a conflicting queue change with Conflict', async () => {
    const queue = queueName();
    await client.createQueue(queue, { order: 'fifo' });
    expect(await failure(client.createQueue(queue, { order: 'lifo' }))).toMatchObject({
      status: 409,
      code: 'Conflict',
    });
  });

  it('stops at the caller’s AbortSignal, with its reason', async () => {
    const queue = queueName();
    await client.createQueue(queue);
    const controller = new AbortController();
    const polling = client.receive(queue, { waitSeconds: 20, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('stop now')), 200);
    await expect(polling).rejects.toThrow('stop now');
  });

  it('gives up after timeoutMs with a Timeout error', async () => {
    const queue = queueName();
    await client.createQueue(queue);
    const impatient = postbox.client({ timeoutMs: 300, retry: false });
    // The server holds the long poll for 2 s; the client waits waitSeconds + 300 ms, so pass a
    // long poll the server cannot finish in time by asking for a longer wait via the call option.
    const error = await failure(impatient.receive(queue, { waitSeconds: 0, timeoutMs: 1 }));
    expect(error).toMatchObject({ status: 0, code: 'Timeout' });
  });
});
