/**
 * Backpressure under DynamoDB's partition limit, shown through the throttle simulator at a tiny
 * limit: once the SDK's own retries are spent, the API answers 503 ServiceUnavailable with a
 * Retry-After header in the contract's error shape, and a refused request left nothing half-done
 * (no message without its index entry, no counter moved, nothing acked twice, nothing lost).
 */
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../functions/api/app';
import { DynamoEngine } from '../../functions/core/dynamo-engine';
import { ServiceUnavailableError } from '../../functions/core/errors';
import { messagePartition } from '../../functions/core/keys';
import { toAttributes } from '../../functions/core/store';
import { freshTable, testClient } from '../support/dynamo';
import { manualClock, queueName } from '../support/engine';
import { startTestThrottle, type ThrottleProxy, throttledClient } from '../support/throttle';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function setUp(writeUnitsPerSecond: number, maxAttempts = 2, clock?: () => number) {
  const direct = testClient();
  const { tableName } = await freshTable(direct);
  const proxy: ThrottleProxy = await startTestThrottle({ writeUnitsPerSecond, ...(clock ? { clock } : {}) });
  const client = throttledClient(proxy, maxAttempts);
  closers.push(
    () => direct.destroy(),
    () => proxy.close(),
    () => client.destroy(),
  );
  const engine = new DynamoEngine({ client, tableName });
  const app = createApp({ engine });
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await app.fetch(
      new Request(`http://postbox.test${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  };
  return { proxy, engine, direct, tableName, call };
}

/** Message items in a queue's partition, and index entries of that partition, read unthrottled. */
async function stored(ctx: Awaited<ReturnType<typeof setUp>>, queue: string) {
  const meta = await ctx.direct.send(
    new QueryCommand({
      TableName: ctx.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: toAttributes({ ':pk': `Q#${queue}` }),
      ConsistentRead: true,
    }),
  );
  const incarnation = String(meta.Items?.find((item) => item.sk?.S === '#META')?.inc?.S);
  const partition = messagePartition(queue, incarnation);
  const items = await ctx.direct.send(
    new QueryCommand({
      TableName: ctx.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: toAttributes({ ':pk': partition }),
      ConsistentRead: true,
    }),
  );
  const entries = await ctx.direct.send(
    new QueryCommand({
      TableName: ctx.tableName,
      IndexName: 'avail',
      KeyConditionExpression: 'apk = :pk',
      ExpressionAttributeValues: toAttributes({ ':pk': partition }),
    }),
  );
  const all = items.Items ?? [];
  return {
    messages: all.filter((item) => item.sk?.S?.startsWith('M#')).map((item) => String(item.id?.S)),
    size: Number(all.find((item) => item.sk?.S === '#SIZE')?.size?.N ?? 0),
    entries: (entries.Items ?? []).length,
  };
}

const expectUnavailable = (answer: { status: number; headers: Headers; body: unknown }) => {
  expect(answer.status).toBe(503);
  expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(answer.body).toEqual({ error: { code: 'ServiceUnavailable', message: expect.any(String) } });
};

describe('backpressure under partition throttling', () => {
  it('a throttled transaction (a grouped publish) is ServiceUnavailable, not a condition that failed', async () => {
    // A clock that stands still: a partition's units come back only when the test says so.
    const clock = manualClock(0);
    const ctx = await setUp(1_000, 1, clock);
    const queue = queueName('tx');
    await ctx.engine.putQueue(queue, {});
    ctx.proxy.setLimit(6);
    clock.advance(1_000);
    // The first grouped publish spends the message partition's units (its group item and message,
    // transactional: 2 units each); the second's transaction is cancelled for throttling.
    const first = await ctx.engine.publish(queue, { body: 1, groupId: 'g' });
    await expect(ctx.engine.publish(queue, { body: 2, groupId: 'g' })).rejects.toBeInstanceOf(
      ServiceUnavailableError,
    );
    expect(ctx.proxy.take().throttled).toEqual({ TransactWriteItems: 3 }); // 3 attempts, then 503
    expect((await stored(ctx, queue)).messages).toEqual([first.id]);
    clock.advance(1_000);
    const second = await ctx.engine.publish(queue, { body: 2, groupId: 'g' });
    expect((await stored(ctx, queue)).messages.sort()).toEqual([first.id, second.id].sort());
  });

  it('publishes answer 201 or 503 + Retry-After, and a 503 left no message, index entry or count behind', async () => {
    const ctx = await setUp(1_000);
    const queue = queueName('bounded');
    expect((await ctx.call('PUT', `/v1/queues/${queue}`, { maxMessages: 1_000 })).status).toBeLessThan(300);
    ctx.proxy.setLimit(8);
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        ctx.call('POST', `/v1/queues/${queue}/messages`, {
          body: { i },
          ...(i % 4 === 0 ? { groupId: `g${i % 8}` } : {}),
        }),
      ),
    );
    const accepted = answers
      .filter((answer) => answer.status === 201)
      .map((answer) => answer.body.id as string);
    const refused = answers.filter((answer) => answer.status !== 201);
    expect(refused.length).toBeGreaterThan(0);
    for (const answer of refused) expectUnavailable(answer);
    expect(accepted.length + refused.length).toBe(40);
    const after = await stored(ctx, queue);
    expect(after.messages.sort()).toEqual([...accepted].sort());
    expect(after.size).toBe(accepted.length);
    expect(after.entries).toBe(accepted.length);
    expect(ctx.proxy.take().throttled).not.toEqual({});
  });

  it('publish, receive and ack retried on 503 deliver every accepted message and never one already acked', async () => {
    // No SDK retries: every throttled request comes back to the caller as a 503.
    const ctx = await setUp(1_000, 1);
    const queue = queueName('flow');
    await ctx.call('PUT', `/v1/queues/${queue}`, { visibilityTimeoutSeconds: 60 });
    ctx.proxy.setLimit(16);
    const total = 24;
    const published = new Set<string>();
    const acked = new Map<string, number>();
    const receivedAfterAck: string[] = [];
    let refusals = 0;
    /** Calls until the answer is not a 503 (honouring the contract, but sleeping 100 ms for the test). */
    const retrying = async (method: string, path: string, body?: unknown) => {
      for (let attempt = 0; attempt < 100; attempt++) {
        const answer = await ctx.call(method, path, body);
        if (answer.status !== 503) return answer;
        expectUnavailable(answer);
        refusals++;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`${method} ${path} never got through`);
    };
    const producers = Array.from({ length: 4 }, async (_, p) => {
      for (let i = 0; i < total / 4; i++) {
        const answer = await retrying('POST', `/v1/queues/${queue}/messages`, { body: { p, i } });
        expect(answer.status).toBe(201);
        published.add(answer.body.id);
      }
    });
    const consumers = Array.from({ length: 4 }, async () => {
      const end = Date.now() + 25_000;
      while (Date.now() < end && [...acked.values()].length < total) {
        const answer = await retrying('POST', `/v1/queues/${queue}/receive`, {
          maxMessages: 2,
          waitSeconds: 1,
        });
        expect(answer.status).toBe(200);
        for (const message of answer.body.messages) {
          if (acked.has(message.id)) receivedAfterAck.push(message.id);
          const ack = await retrying('POST', `/v1/queues/${queue}/ack`, { receipt: message.receipt });
          expect(ack.status).toBeLessThan(300);
          acked.set(message.id, (acked.get(message.id) ?? 0) + 1);
        }
      }
    });
    await Promise.all([...producers, ...consumers]);
    expect(refusals).toBeGreaterThan(0);
    expect(published.size).toBe(total);
    expect(new Set(acked.keys())).toEqual(published);
    expect([...acked.values()].every((count) => count === 1)).toBe(true);
    expect(receivedAfterAck).toEqual([]);
    expect((await stored(ctx, queue)).messages).toEqual([]);
  });
});
