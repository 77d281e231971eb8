/**
 * Message bodies never appear in a log line: a body is the user's data, and logs go where the data
 * may not (CloudWatch deployed, a terminal or a CI log locally).
 *
 * 1. The local server as a user runs it (package.json's start command, a child process), its
 *    stdout and stderr captured whole, with DynamoDB reached through a TCP proxy this test can cut:
 *    every route is used with distinctive bodies and attributes, through their error paths too
 *    (invalid JSON, validation errors, oversized bodies, bad receipts), then the store is cut off
 *    (requests answer 503, the timed work fails and logs it) and restored, then the server stops.
 * 2. In-process, a store error the engine does not know (a bug's 500, which is logged with its
 *    stack), with every console method and both output streams captured.
 */
import { randomUUID } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../../functions/api/app';
import { DynamoEngine } from '../../functions/core/dynamo-engine';
import { ensureTable } from '../../functions/core/table';
import { send } from '../api/support';
import { exitWithin, killEverything, type RunningServer, startServer } from '../e2e/local-server-process';
import { testClient } from '../support/dynamo';
import { injectFaults } from './faults';

const TOKEN = 'logs-token-41d7';
const MARK = 'BODYMARK';
const marker = () => `${MARK}${randomUUID().replace(/-/g, '')}`;

afterAll(() => {
  killEverything();
});

/** A TCP proxy to DynamoDB Local that can refuse and drop every connection. */
async function storeProxy(endpoint: string) {
  const target = new URL(endpoint);
  const sockets = new Set<Socket>();
  let cut = false;
  const server: Server = createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    cut() {
      cut = true;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      cut = false;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function call(url: string, method: string, body?: string | object) {
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  // biome-ignore lint/suspicious/noExplicitAny: answers are read field by field
  return { status: response.status, json: (text ? JSON.parse(text) : undefined) as any };
}

async function until(what: string, check: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('no message body in any log line', () => {
  it('of the local server, through every route, its error paths, a store outage and a stop', async () => {
    const proxy = await storeProxy(inject('dynamoEndpoint'));
    let server: RunningServer | undefined;
    try {
      server = await startServer({
        PORT: '0',
        DYNAMODB_ENDPOINT: proxy.endpoint,
        POSTBOX_TABLE: `logs-${randomUUID()}`,
        POSTBOX_TOKEN: TOKEN,
      });
      const v1 = `${server.url}/v1`;
      const q = `${v1}/queues/logged`;
      const statuses: number[] = [];
      const use = async (method: string, url: string, body?: string | object) => {
        const answer = await call(url, method, body);
        statuses.push(answer.status);
        return answer;
      };

      await use('PUT', q, { visibilityTimeoutSeconds: 60 });
      await use('PUT', `${v1}/queues/logged-dlq`, {});
      await use('PUT', q, { deadLetterQueue: 'logged-dlq', maxReceiveCount: 1 });
      await use('PUT', `${v1}/topics/logged-topic`, { subscriptions: [{ queue: 'logged' }] });
      // Accepted bodies, attributes, groups and deduplication ids.
      const published = await use('POST', `${q}/messages`, {
        body: { secret: marker(), nested: [marker()] },
        attributes: { note: marker() },
        deduplicationId: 'dedup-1',
      });
      await use('POST', `${q}/messages`, { body: marker(), deduplicationId: 'dedup-1' });
      await use('POST', `${q}/messages`, { body: marker(), groupId: 'group-1', delaySeconds: 1 });
      await use('POST', `${q}/messages/batch`, {
        messages: [
          { body: marker() },
          { body: marker(), priority: 99 },
          { body: marker(), attributes: { bad: 5 } },
          { body: 'x'.repeat(300_000) + marker() },
          { body: null, note: marker() },
        ],
      });
      await use('POST', `${v1}/topics/logged-topic/messages`, {
        body: marker(),
        attributes: { k: marker() },
      });
      await use('GET', `${q}/messages?state=all`);
      await use('GET', `${q}/messages/${published.json.id}`);
      await use('PATCH', `${q}/messages/${published.json.id}`, { priority: 5 });
      const received = await use('POST', `${q}/receive`, { maxMessages: 10 });
      const receipts = (received.json.messages as { receipt: string }[]).map((m) => m.receipt);
      await use('POST', `${q}/extend`, { receipt: receipts[0], visibilityTimeoutSeconds: 30 });
      await use('POST', `${q}/release`, { receipt: receipts[0] });
      await use('POST', `${q}/ack`, { receipts: [...receipts, `pb1.logged.x.y.${marker()}.1`] });
      await use('POST', `${q}/receive`, { maxMessages: 10, ack: 'auto', waitSeconds: 2 });
      await use('POST', `${v1}/queues/logged-dlq/redrive`, {});
      // Error paths with the marker in the refused input.
      await use('POST', `${q}/messages`, `{"body": "${marker()}",`);
      await use('POST', `${q}/messages`, { body: marker(), priority: marker() });
      await use('POST', `${q}/messages`, { body: marker(), [marker()]: 1 });
      await use('POST', `${q}/messages`, { body: marker(), deliverAt: marker() });
      await use('POST', `${q}/messages`, { body: `${'y'.repeat(262_144)}${marker()}` });
      await use('POST', `${q}/messages`, { body: `${'y'.repeat(1_100_000)}${marker()}` });
      await use('POST', `${v1}/queues/missing/messages`, { body: marker() });
      await use('POST', `${q}/ack`, { receipt: marker() });
      await use('POST', `${q}/release`, { receipt: `pb1.logged.a.b.${marker()}.0000000000000001` });
      await use('PATCH', `${q}/messages/nope`, { deliverAt: marker() });
      await use('POST', `${v1}/topics/missing/messages`, { body: marker() });
      // The store cut off: requests answer 503 and the timed work fails (and says so). The timed
      // work wakes at due times, so a message due during the outage makes it run then.
      await use('POST', `${q}/messages`, { body: marker(), delaySeconds: 2 });
      proxy.cut();
      const down = await use('POST', `${q}/messages`, { body: marker(), attributes: { a: marker() } });
      expect(down.status).toBe(503);
      await use('POST', `${q}/receive`, {});
      const running = server;
      await until(
        'the timed work to report the outage',
        () => /Timed work failed/.test(running.stderr()),
        20_000,
      );
      proxy.restore();
      await until('the timed work to recover', () => /Timed work recovered/.test(running.stderr()), 20_000);
      await use('DELETE', q);

      expect(statuses.filter((status) => status >= 500 && status !== 503)).toEqual([]);
      process.kill(server.serverPid, 'SIGTERM');
      await exitWithin(server, 20_000);

      const lines = `${server.stdout()}\n${server.stderr()}`.split('\n');
      // The capture works: the ready line and the outage are in it.
      expect(lines.some((line) => line.startsWith('Postbox listening on'))).toBe(true);
      expect(lines.filter((line) => line.includes(MARK))).toEqual([]);
    } finally {
      if (server) killEverything();
      await proxy.close();
    }
  }, 180_000);

  it('of the app, when an unknown store error becomes a logged 500', async () => {
    const client = testClient();
    const faults = injectFaults(client);
    const tableName = `logs-${randomUUID()}`;
    await ensureTable(client, tableName);
    const engine = new DynamoEngine({ client, tableName });
    const app = createApp({ engine });
    await send(app, 'PUT', '/v1/queues/q500', {});

    const captured: string[] = [];
    const restore: (() => void)[] = [];
    for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
      const original = console[method];
      console[method] = (...args: unknown[]) => {
        captured.push(args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' '));
      };
      restore.push(() => {
        console[method] = original;
      });
    }
    for (const stream of [process.stdout, process.stderr]) {
      const original = stream.write.bind(stream);
      stream.write = ((chunk: unknown, ...rest: unknown[]) => {
        captured.push(String(chunk));
        return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof stream.write;
      restore.push(() => {
        stream.write = original;
      });
    }
    try {
      faults.arm({ kind: 'invalid', command: 'PutItem', attempts: Number.POSITIVE_INFINITY });
      const answer = await send(app, 'POST', '/v1/queues/q500/messages', {
        body: marker(),
        attributes: { a: marker() },
      });
      faults.arm({ kind: 'invalid', command: 'BatchWriteItem', attempts: Number.POSITIVE_INFINITY });
      const batch = await send(app, 'POST', '/v1/queues/q500/messages/batch', {
        messages: [{ body: marker() }, { body: { deep: marker() } }],
      });
      faults.disarm();
      for (const refused of [answer, batch]) {
        expect({ status: refused.status, body: refused.json }).toEqual({
          status: 500,
          body: { error: { code: 'InternalError', message: expect.any(String) } },
        });
        // The answer says nothing internal either.
        expect(refused.text).not.toMatch(/ValidationException|parameter values|at .*\.ts/);
      }
    } finally {
      for (const undo of restore) undo();
    }
    // The 500s were logged (the capture works), without the bodies.
    expect(captured.some((line) => line.includes('Unexpected error'))).toBe(true);
    expect(captured.filter((line) => line.includes(MARK))).toEqual([]);
  });
});
