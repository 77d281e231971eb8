/**
 * Security checks through the real HTTP server over a socket (the local server's node:http
 * adapter on 127.0.0.1, a token set, a DynamoEngine on DynamoDB Local):
 * - every route but health refuses a request without the right token (401, nothing done);
 * - receipts carry 128 random bits (the token part: 22 base64url characters, 16 bytes, distinct,
 *   bits balanced), and a receipt names one queue and one message: another queue's is 400
 *   InvalidReceipt, one edited to name another message, or carrying a guessed token, is 409
 *   ReceiptExpired, and neither touches anything.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../functions/api/app';
import { DynamoEngine } from '../../functions/core/dynamo-engine';
import { type LocalServer, startServer } from '../../functions/local/server';
import { ROUTES } from '../api/support';
import { freshTable } from '../support/dynamo';
import { queueName } from '../support/engine';

const TOKEN = 'security-token-8f3e2d';
const AUTH = { authorization: `Bearer ${TOKEN}` };

let server: LocalServer;
let engine: DynamoEngine;

beforeAll(async () => {
  const { client, tableName } = await freshTable();
  engine = new DynamoEngine({ client, tableName });
  const app = createApp({ engine, token: TOKEN });
  server = await startServer({ fetch: (request) => app.fetch(request), port: 0 });
});

afterAll(async () => {
  await server?.close();
});

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = AUTH,
  // biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field
): Promise<{ status: number; json: any; headers: Headers }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined, headers: response.headers };
}

describe('the token', () => {
  const wrong: Record<string, string>[] = [
    {},
    { authorization: '' },
    { authorization: 'Bearer' },
    { authorization: 'Bearer ' },
    { authorization: `Bearer ${TOKEN.toUpperCase()}` },
    { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
    { authorization: `Basic ${Buffer.from(`user:${TOKEN}`).toString('base64')}` },
    { authorization: TOKEN },
    { 'x-api-key': TOKEN },
  ];

  it('every route but health answers 401 without the right token, and does nothing', async () => {
    const queue = queueName('auth');
    await engine.putQueue(queue, {});
    await engine.publish(queue, { body: 'stays' });
    await engine.putTopic('auth-topic', [{ queue }]);
    for (const route of ROUTES) {
      const path = route.path
        .replace('/v1/queues/q', `/v1/queues/${queue}`)
        .replace('/v1/topics/t', '/v1/topics/auth-topic');
      for (const headers of wrong) {
        const answer = await call(route.method, path, route.body, headers);
        const what = `${route.method} ${path} with ${JSON.stringify(headers)}`;
        if (route.method === 'GET' && route.path === '/v1/health') {
          expect(answer.status, what).toBe(200);
          continue;
        }
        expect({ status: answer.status, body: answer.json }, what).toEqual({
          status: 401,
          body: { error: { code: 'Unauthorized', message: expect.any(String) } },
        });
        expect(JSON.stringify(answer.json)).not.toContain(TOKEN);
      }
    }
    // Nothing was created, changed or consumed.
    expect((await engine.getQueue(queue)).counts).toMatchObject({ ready: 1, total: 1 });
    expect((await engine.getTopic('auth-topic')).subscriptions.map((s) => s.queue)).toEqual([queue]);
    await expect(engine.getQueue('q')).rejects.toMatchObject({ code: 'QueueNotFound' });
    // The token in the query string is not the token.
    expect((await call('GET', `/v1/queues?token=${TOKEN}`, undefined, {})).status).toBe(401);
    // The scheme is case-insensitive (RFC 9110); the token itself is not.
    expect((await call('GET', '/v1/queues', undefined, { authorization: `bearer ${TOKEN}` })).status).toBe(
      200,
    );
  });

  it('unknown paths and the console are behind the token too', async () => {
    for (const path of ['/', '/v2/queues', '/v1/nothing', '/ui/../v1/queues', '/.env']) {
      expect((await call('GET', path, undefined, {})).status, path).toBe(401);
    }
  });
});

interface Parts {
  queue: string;
  inc: string;
  id: string;
  token: string;
  orderKey: string;
}

function parts(receipt: string): Parts {
  const [prefix, queue, inc, id, token, orderKey, ...rest] = receipt.split('.');
  expect(prefix).toBe('pb1');
  expect(rest).toEqual([]);
  return { queue, inc, id, token, orderKey } as Parts;
}

const join = (p: Parts) => ['pb1', p.queue, p.inc, p.id, p.token, p.orderKey].join('.');

describe('receipts', () => {
  it('carry 128 random bits: 16 bytes, all distinct, bits balanced', async () => {
    const queue = queueName('entropy');
    await call('PUT', `/v1/queues/${queue}`, { visibilityTimeoutSeconds: 600 });
    for (let i = 0; i < 8; i++)
      await call('POST', `/v1/queues/${queue}/messages/batch`, {
        messages: Array.from({ length: 25 }, (_, j) => ({ body: i * 25 + j })),
      });
    const tokens: Buffer[] = [];
    for (let i = 0; i < 20; i++) {
      const { json } = await call('POST', `/v1/queues/${queue}/receive`, { maxMessages: 10 });
      for (const message of json.messages) {
        const { token, id } = parts(message.receipt);
        expect(token).toMatch(/^[A-Za-z0-9_-]{22}$/);
        expect(token).not.toBe(id);
        const bytes = Buffer.from(token, 'base64url');
        expect(bytes).toHaveLength(16);
        tokens.push(bytes);
      }
    }
    expect(tokens).toHaveLength(200);
    expect(new Set(tokens.map((t) => t.toString('hex'))).size).toBe(200);
    // 200 × 128 bits: ones within 5 standard deviations of half, and every bit position varies.
    const bits = (byte: number) => byte.toString(2).split('1').length - 1;
    const ones = tokens.reduce((sum, t) => sum + [...t].reduce((s, byte) => s + bits(byte), 0), 0);
    const n = 200 * 128;
    expect(Math.abs(ones - n / 2)).toBeLessThan(5 * Math.sqrt(n / 4));
    for (let position = 0; position < 128; position++) {
      const set = tokens.filter((t) => ((t[position >> 3] as number) >> (7 - (position & 7))) & 1).length;
      expect(set, `bit ${position}`).toBeGreaterThan(40);
      expect(set, `bit ${position}`).toBeLessThan(160);
    }
  });

  it('are bound to their queue and their message; a forged or stale one touches nothing', async () => {
    const a = queueName('bound-a');
    const b = `${a}-b`;
    await call('PUT', `/v1/queues/${a}`, { visibilityTimeoutSeconds: 600 });
    await call('PUT', `/v1/queues/${b}`, { visibilityTimeoutSeconds: 600 });
    await call('POST', `/v1/queues/${a}/messages/batch`, { messages: [{ body: 'm1' }, { body: 'm2' }] });
    await call('POST', `/v1/queues/${b}/messages`, { body: 'm3' });
    const [first, second] = (await call('POST', `/v1/queues/${a}/receive`, { maxMessages: 2 })).json.messages;
    const [third] = (await call('POST', `/v1/queues/${b}/receive`, {})).json.messages;
    const p1 = parts(first.receipt);
    const p2 = parts(second.receipt);

    const expectRefused = async (queue: string, receipt: string, status: number, code: string) => {
      for (const [route, extra] of [
        ['ack', {}],
        ['release', {}],
        ['extend', { visibilityTimeoutSeconds: 5 }],
      ] as const) {
        const answer = await call('POST', `/v1/queues/${queue}/${route}`, { receipt, ...extra });
        expect({ status: answer.status, code: answer.json?.error?.code }, `${route} ${receipt}`).toEqual({
          status,
          code,
        });
      }
    };
    // Another queue's receipt, as it is or with the queue name edited to match.
    await expectRefused(a, third.receipt, 400, 'InvalidReceipt');
    await expectRefused(b, first.receipt, 400, 'InvalidReceipt');
    await expectRefused(b, join({ ...p1, queue: b }), 409, 'ReceiptExpired');
    // Another message of the same queue, named with this message's token, and the other way round.
    await expectRefused(a, join({ ...p1, id: p2.id }), 409, 'ReceiptExpired');
    await expectRefused(a, join({ ...p2, token: p1.token }), 409, 'ReceiptExpired');
    // Guessed tokens, well-formed.
    for (let i = 0; i < 50; i++) {
      const guess = join({ ...p1, token: randomBytes(16).toString('base64url') });
      const answer = await call('POST', `/v1/queues/${a}/ack`, { receipt: guess });
      expect(answer.status).toBe(409);
    }
    // Malformed: 400.
    for (const receipt of [
      '',
      'pb1',
      first.receipt.slice(0, -3),
      `${first.receipt}.x`,
      first.receipt.replace('pb1', 'pb2'),
    ]) {
      const answer = await call('POST', `/v1/queues/${a}/ack`, { receipt });
      expect(answer.status, receipt).toBe(400);
    }

    // Nothing moved: all three still in flight on their first lease, and their own receipts work.
    for (const [queue, message] of [
      [a, first],
      [a, second],
      [b, third],
    ] as const) {
      const view = (await call('GET', `/v1/queues/${queue}/messages/${message.id}`)).json;
      expect({ state: view.state, receiveCount: view.receiveCount }).toEqual({
        state: 'inFlight',
        receiveCount: 1,
      });
      expect((await call('POST', `/v1/queues/${queue}/ack`, { receipt: message.receipt })).status).toBe(204);
    }
  });

  it('carry an order key that cannot move the message', async () => {
    const queue = queueName('order-key');
    await call('PUT', `/v1/queues/${queue}`, { visibilityTimeoutSeconds: 600 });
    await call('POST', `/v1/queues/${queue}/messages/batch`, {
      messages: [{ body: 'first' }, { body: 'second' }],
    });
    const [first] = (await call('POST', `/v1/queues/${queue}/receive`, {})).json.messages;
    expect(first.body).toBe('first');
    // The same receipt with the position edited to the very end of the queue.
    const p = parts(first.receipt);
    const edited = join({ ...p, orderKey: `${p.orderKey.slice(0, 1)}${'9'.repeat(p.orderKey.length - 1)}` });
    const released = await call('POST', `/v1/queues/${queue}/release`, { receipt: edited });
    // The token holds, so the release may be honoured, but with the message's own position.
    expect([204, 409]).toContain(released.status);
    if (released.status === 409)
      await call('POST', `/v1/queues/${queue}/release`, { receipt: first.receipt });
    const again = (await call('POST', `/v1/queues/${queue}/receive`, { maxMessages: 2 })).json.messages;
    expect(again.map((m: { body: string }) => m.body)).toEqual(['first', 'second']);
  });

  it('stop holding when the message is received again or the queue is purged', async () => {
    const queue = queueName('stale');
    await call('PUT', `/v1/queues/${queue}`, {});
    await call('POST', `/v1/queues/${queue}/messages`, { body: 'x' });
    // A zero lease makes the message ready again at once; the next receive takes it over.
    const [old] = (await call('POST', `/v1/queues/${queue}/receive`, { visibilityTimeoutSeconds: 0 })).json
      .messages;
    const [current] = (await call('POST', `/v1/queues/${queue}/receive`, { visibilityTimeoutSeconds: 600 }))
      .json.messages;
    expect(current.id).toBe(old.id);
    expect((await call('POST', `/v1/queues/${queue}/ack`, { receipt: old.receipt })).status).toBe(409);
    expect((await call('POST', `/v1/queues/${queue}/release`, { receipt: old.receipt })).status).toBe(409);
    await call('POST', `/v1/queues/${queue}/purge`);
    expect((await call('POST', `/v1/queues/${queue}/ack`, { receipt: current.receipt })).status).toBe(409);
  });
});
