/**
 * Injected DynamoDB faults (faults.ts: throttling, provisioned-throughput, 500, 503, timeouts and
 * lost answers, inside the SDK's retry loop) on the engine's client, under the HTTP app:
 *
 * - a fault that clears within the SDK's retries: the request succeeds as if nothing happened;
 * - a fault that outlasts them: 503 ServiceUnavailable with Retry-After, and the store holds no
 *   half-done operation (checked through the engine afterwards, then the operation is repeated);
 * - a request DynamoDB applied whose answer was lost (the SDK sends it again): the answer is the
 *   operation's success or the "already done" answer the contract gives for it (409
 *   ReceiptExpired for an ack that had gone through, 404 for a delete), never a 500, and the store
 *   holds the operation done exactly once; a claim whose answer was lost leaves the message leased
 *   to nobody until its lease runs out, then it is delivered (nothing lost).
 */
import type { Hono } from 'hono';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../functions/api/app';
import { DynamoEngine } from '../../functions/core/dynamo-engine';
import { type Answer, send } from '../api/support';
import { freshTable, testClient } from '../support/dynamo';
import { type ManualClock, manualClock, queueName } from '../support/engine';
import { ALL_FAULTS, type Fault, type FaultInjector, type FaultKind, injectFaults } from './faults';

interface World {
  app: Hono;
  engine: DynamoEngine;
  faults: FaultInjector;
  clock: ManualClock;
}

let tableName: string;

beforeAll(async () => {
  ({ tableName } = await freshTable());
  // The app logs unexpected errors; a 500 is checked for by status here.
  vi.spyOn(console, 'error').mockImplementation(() => {});
});

/** A client of its own (the SDK's retry quota is per client), with faults injected. */
function world(): World {
  const client = testClient();
  const faults = injectFaults(client);
  const clock = manualClock(Date.now());
  const engine = new DynamoEngine({ client, tableName, clock });
  return { app: createApp({ engine, clock }), engine, faults, clock };
}

const worlds: World[] = [];
afterEach(() => {
  for (const w of worlds.splice(0)) w.faults.disarm();
});

function fresh(): World {
  const w = world();
  worlds.push(w);
  return w;
}

async function ok(answer: Promise<Answer>, status: number): Promise<Answer> {
  const settled = await answer;
  expect({ status: settled.status, body: settled.json }).toMatchObject({ status });
  return settled;
}

function expectUnavailable(answer: Answer): void {
  expect({ status: answer.status, body: answer.json }).toEqual({
    status: 503,
    body: { error: { code: 'ServiceUnavailable', message: expect.any(String) } },
  });
  expect(answer.headers.get('retry-after')).toMatch(/^[1-9][0-9]*$/);
}

async function counts(w: World, queue: string) {
  return (await w.engine.getQueue(queue)).counts;
}

const path = (queue: string, rest = '') => `/v1/queues/${queue}${rest}`;

async function publishAndReceive(w: World, queue: string, n: number) {
  await ok(send(w.app, 'PUT', path(queue), {}), 201);
  await ok(
    send(w.app, 'POST', path(queue, '/messages/batch'), {
      messages: Array.from({ length: n }, (_, i) => ({ body: { n: i } })),
    }),
    200,
  );
  const answer = await ok(send(w.app, 'POST', path(queue, '/receive'), { maxMessages: n }), 200);
  expect(answer.json.messages).toHaveLength(n);
  return answer.json.messages as { id: string; receipt: string }[];
}

describe('faults that clear within the SDK’s retries: every request succeeds', () => {
  for (const kind of ALL_FAULTS.filter((k) => k !== 'lostResponse')) {
    it(`${kind} on the first attempt of every request`, async () => {
      const w = fresh();
      const queue = queueName(`transient-${kind}`);
      // Throttling is retried after longer pauses (about 0.5 s and up): fewer requests hit.
      const slow = kind === 'throttling' || kind === 'provisioned';
      w.faults.arm({ kind, command: '*', attempts: 1, requests: slow ? 4 : Number.POSITIVE_INFINITY });

      await ok(send(w.app, 'PUT', path(queue), { visibilityTimeoutSeconds: 60 }), 201);
      await ok(send(w.app, 'POST', path(queue, '/messages'), { body: 'one' }), 201);
      await ok(
        send(w.app, 'POST', path(queue, '/messages/batch'), {
          messages: [{ body: 'two' }, { body: 'three' }],
        }),
        200,
      );
      await ok(
        send(w.app, 'POST', path(queue, '/messages'), { body: 'four', groupId: 'g', deduplicationId: 'd' }),
        201,
      );
      const received = await ok(send(w.app, 'POST', path(queue, '/receive'), { maxMessages: 4 }), 200);
      const messages = received.json.messages as { body: string; receipt: string }[];
      expect(messages.map((m) => m.body).sort()).toEqual(['four', 'one', 'three', 'two']);
      await ok(send(w.app, 'POST', path(queue, '/ack'), { receipt: messages[0]?.receipt }), 204);
      const batch = await ok(
        send(w.app, 'POST', path(queue, '/ack'), { receipts: messages.slice(1).map((m) => m.receipt) }),
        200,
      );
      expect(batch.json.results.every((result: { ok?: boolean }) => result.ok)).toBe(true);

      expect(Object.values(w.faults.injected).reduce((a, b) => a + b, 0)).toBeGreaterThan(slow ? 3 : 8);
      w.faults.disarm();
      expect(await counts(w, queue)).toEqual({ ready: 0, delayed: 0, inFlight: 0, total: 0 });
    });
  }
});

interface PersistentCase {
  name: string;
  kind: FaultKind;
  fault: Omit<Fault, 'kind' | 'attempts'>;
  /** Builds the state, returns the request to fault and the check to run after. */
  run(w: World, queue: string): Promise<{ request: () => Promise<Answer>; after: () => Promise<void> }>;
}

const isMeta = (input: { Key?: { sk?: { S?: string } } }) => input.Key?.sk?.S === '#META';

const PERSISTENT: PersistentCase[] = [
  {
    name: 'publish (the message put)',
    kind: 'throttling',
    fault: { command: 'PutItem' },
    async run(w, queue) {
      await ok(send(w.app, 'PUT', path(queue), {}), 201);
      return {
        request: () => send(w.app, 'POST', path(queue, '/messages'), { body: 'x' }),
        after: async () => {
          expect((await counts(w, queue)).total).toBe(0);
          await ok(send(w.app, 'POST', path(queue, '/messages'), { body: 'x' }), 201);
          expect((await counts(w, queue)).total).toBe(1);
        },
      };
    },
  },
  {
    name: 'publish (the sequence reservation)',
    kind: 'internal',
    fault: { command: 'UpdateItem', when: isMeta },
    async run(w, queue) {
      await ok(send(w.app, 'PUT', path(queue), {}), 201);
      return {
        request: () => send(w.app, 'POST', path(queue, '/messages'), { body: 'x' }),
        after: async () => expect((await counts(w, queue)).total).toBe(0),
      };
    },
  },
  {
    name: 'batch publish',
    kind: 'unavailable',
    fault: { command: 'BatchWriteItem' },
    async run(w, queue) {
      await ok(send(w.app, 'PUT', path(queue), {}), 201);
      return {
        request: () =>
          send(w.app, 'POST', path(queue, '/messages/batch'), {
            messages: Array.from({ length: 10 }, (_, i) => ({ body: i })),
          }),
        after: async () => expect((await counts(w, queue)).total).toBe(0),
      };
    },
  },
  {
    name: 'publish to a bounded queue (message + counter transaction)',
    kind: 'timeout',
    fault: { command: 'TransactWriteItems' },
    async run(w, queue) {
      await ok(send(w.app, 'PUT', path(queue), { maxMessages: 2 }), 201);
      return {
        request: () => send(w.app, 'POST', path(queue, '/messages'), { body: 'x' }),
        after: async () => {
          // The counter did not move: exactly two more fit.
          await ok(send(w.app, 'POST', path(queue, '/messages'), { body: 1 }), 201);
          await ok(send(w.app, 'POST', path(queue, '/messages'), { body: 2 }), 201);
          await ok(send(w.app, 'POST', path(queue, '/messages'), { body: 3 }), 429);
        },
      };
    },
  },
  {
    name: 'publish with a deduplication id (record + message transaction)',
    kind: 'provisioned',
    fault: { command: 'TransactWriteItems' },
    async run(w, queue) {
      await ok(send(w.app, 'PUT', path(queue), {}), 201);
      return {
        request: () => send(w.app, 'POST', path(queue, '/messages'), { body: 'x', deduplicationId: 'd-1' }),
        after: async () => {
          expect((await counts(w, queue)).total).toBe(0);
          // No deduplication record was left behind: the retry is not taken for a duplicate.
          const again = await ok(
            send(w.app, 'POST', path(queue, '/messages'), { body: 'x', deduplicationId: 'd-1' }),
            201,
          );
          expect(again.json.duplicate).toBe(false);
        },
      };
    },
  },
  {
    name: 'publish to a message group (group + message transaction)',
    kind: 'internal',
    fault: { command: 'TransactWriteItems' },
    async run(w, queue) {
      await ok(send(w.app, 'PUT', path(queue), {}), 201);
      return {
        request: () => send(w.app, 'POST', path(queue, '/messages'), { body: 'lost', groupId: 'g' }),
        after: async () => {
          expect((await counts(w, queue)).total).toBe(0);
          // The group was not joined: the next two members are its head and its second.
          await ok(send(w.app, 'POST', path(queue, '/messages'), { body: 'first', groupId: 'g' }), 201);
          await ok(send(w.app, 'POST', path(queue, '/messages'), { body: 'second', groupId: 'g' }), 201);
          const got = await ok(send(w.app, 'POST', path(queue, '/receive'), { maxMessages: 10 }), 200);
          expect(got.json.messages.map((m: { body: string }) => m.body)).toEqual(['first']);
        },
      };
    },
  },
  {
    name: 'topic publish (one fan-out transaction)',
    kind: 'unavailable',
    fault: { command: 'TransactWriteItems' },
    async run(w, queue) {
      const other = `${queue}-b`;
      await ok(send(w.app, 'PUT', path(queue), {}), 201);
      await ok(send(w.app, 'PUT', path(other), {}), 201);
      await ok(
        send(w.app, 'PUT', `/v1/topics/${queue}`, { subscriptions: [{ queue }, { queue: other }] }),
        201,
      );
      return {
        request: () => send(w.app, 'POST', `/v1/topics/${queue}/messages`, { body: 'x' }),
        after: async () => {
          expect((await counts(w, queue)).total).toBe(0);
          expect((await counts(w, other)).total).toBe(0);
        },
      };
    },
  },
  {
    name: 'receive (the claim)',
    kind: 'timeout',
    fault: { command: 'UpdateItem', when: (input) => !isMeta(input) },
    async run(w, queue) {
      await ok(send(w.app, 'PUT', path(queue), {}), 201);
      await ok(send(w.app, 'POST', path(queue, '/messages'), { body: 'x' }), 201);
      return {
        request: () => send(w.app, 'POST', path(queue, '/receive'), {}),
        after: async () => {
          expect(await counts(w, queue)).toMatchObject({ ready: 1, inFlight: 0 });
          const got = await ok(send(w.app, 'POST', path(queue, '/receive'), {}), 200);
          expect(got.json.messages[0].receiveCount).toBe(1);
        },
      };
    },
  },
  {
    name: 'receive (the query)',
    kind: 'internal',
    fault: { command: 'Query' },
    async run(w, queue) {
      await ok(send(w.app, 'PUT', path(queue), {}), 201);
      await ok(send(w.app, 'POST', path(queue, '/messages'), { body: 'x' }), 201);
      return {
        request: () => send(w.app, 'POST', path(queue, '/receive'), {}),
        after: async () => expect(await counts(w, queue)).toMatchObject({ ready: 1, inFlight: 0 }),
      };
    },
  },
  {
    name: 'ack',
    kind: 'throttling',
    fault: { command: 'DeleteItem' },
    async run(w, queue) {
      const [message] = await publishAndReceive(w, queue, 1);
      return {
        request: () => send(w.app, 'POST', path(queue, '/ack'), { receipt: message?.receipt }),
        after: async () => {
          expect(await counts(w, queue)).toMatchObject({ inFlight: 1, total: 1 });
          await ok(send(w.app, 'POST', path(queue, '/ack'), { receipt: message?.receipt }), 204);
          expect((await counts(w, queue)).total).toBe(0);
        },
      };
    },
  },
  {
    name: 'ack of a batch (one transaction)',
    kind: 'unavailable',
    fault: { command: 'TransactWriteItems' },
    async run(w, queue) {
      const messages = await publishAndReceive(w, queue, 5);
      const receipts = messages.map((m) => m.receipt);
      return {
        request: () => send(w.app, 'POST', path(queue, '/ack'), { receipts }),
        after: async () => {
          expect(await counts(w, queue)).toMatchObject({ inFlight: 5, total: 5 });
          const again = await ok(send(w.app, 'POST', path(queue, '/ack'), { receipts }), 200);
          expect(again.json.results.every((r: { ok?: boolean }) => r.ok)).toBe(true);
        },
      };
    },
  },
  {
    name: 'release',
    kind: 'timeout',
    fault: { command: 'UpdateItem', when: (input) => !isMeta(input) },
    async run(w, queue) {
      const [message] = await publishAndReceive(w, queue, 1);
      return {
        request: () => send(w.app, 'POST', path(queue, '/release'), { receipt: message?.receipt }),
        after: async () => {
          expect(await counts(w, queue)).toMatchObject({ ready: 0, inFlight: 1 });
          await ok(send(w.app, 'POST', path(queue, '/release'), { receipt: message?.receipt }), 204);
          expect(await counts(w, queue)).toMatchObject({ ready: 1, inFlight: 0 });
        },
      };
    },
  },
  {
    name: 'extend',
    kind: 'internal',
    fault: { command: 'UpdateItem', when: (input) => !isMeta(input) },
    async run(w, queue) {
      const [message] = await publishAndReceive(w, queue, 1);
      const before = await w.engine.getMessage(queue, message?.id as string);
      return {
        request: () =>
          send(w.app, 'POST', path(queue, '/extend'), {
            receipt: message?.receipt,
            visibilityTimeoutSeconds: 600,
          }),
        after: async () => {
          const after = await w.engine.getMessage(queue, message?.id as string);
          expect(after.leaseExpiresAt).toBe(before.leaseExpiresAt);
          expect(after.state).toBe('inFlight');
        },
      };
    },
  },
  {
    name: 'cancel a message (delete)',
    kind: 'unavailable',
    fault: { command: 'DeleteItem' },
    async run(w, queue) {
      await ok(send(w.app, 'PUT', path(queue), {}), 201);
      const { json } = await ok(send(w.app, 'POST', path(queue, '/messages'), { body: 'x' }), 201);
      return {
        request: () => send(w.app, 'DELETE', path(queue, `/messages/${json.id}`)),
        after: async () => expect((await counts(w, queue)).total).toBe(1),
      };
    },
  },
  {
    name: 'reschedule',
    kind: 'timeout',
    fault: { command: 'TransactWriteItems' },
    async run(w, queue) {
      await ok(send(w.app, 'PUT', path(queue), {}), 201);
      const { json } = await ok(send(w.app, 'POST', path(queue, '/messages'), { body: 'x' }), 201);
      return {
        request: () => send(w.app, 'PATCH', path(queue, `/messages/${json.id}`), { delaySeconds: 600 }),
        after: async () => {
          const view = await w.engine.getMessage(queue, json.id);
          expect({ state: view.state, deliverAt: view.deliverAt }).toEqual({
            state: 'ready',
            deliverAt: Date.parse(json.deliverAt),
          });
        },
      };
    },
  },
  {
    name: 'purge (the incarnation switch)',
    kind: 'internal',
    fault: { command: 'UpdateItem', when: isMeta },
    async run(w, queue) {
      await publishAndReceive(w, queue, 3);
      return {
        request: () => send(w.app, 'POST', path(queue, '/purge')),
        after: async () => expect((await counts(w, queue)).total).toBe(3),
      };
    },
  },
  {
    name: 'create a queue (configuration + registry transaction)',
    kind: 'unavailable',
    fault: { command: 'TransactWriteItems' },
    async run(w, queue) {
      return {
        request: () => send(w.app, 'PUT', path(queue), {}),
        after: async () => {
          await ok(send(w.app, 'GET', path(queue)), 404);
          await ok(send(w.app, 'PUT', path(queue), {}), 201);
        },
      };
    },
  },
  {
    name: 'health (the store does not answer)',
    kind: 'timeout',
    fault: { command: 'DescribeTable' },
    async run(w) {
      return {
        request: () => send(w.app, 'GET', '/v1/health'),
        after: async () => {
          await ok(send(w.app, 'GET', '/v1/health'), 200);
        },
      };
    },
  },
];

describe('faults that outlast the SDK’s retries: 503 with Retry-After, nothing half-done', () => {
  for (const c of PERSISTENT) {
    it(`${c.name}: ${c.kind} on every attempt`, async () => {
      const w = fresh();
      const queue = queueName('persistent');
      const { request, after } = await c.run(w, queue);
      w.faults.arm({ ...c.fault, kind: c.kind, attempts: Number.POSITIVE_INFINITY });
      const answer = await request();
      const injected = { ...w.faults.injected };
      w.faults.disarm();
      expectUnavailable(answer);
      // The SDK tried more than once before giving up.
      expect(Object.values(injected).reduce((a, b) => a + b, 0)).toBeGreaterThan(1);
      await after();
    });
  }

  it('a batch receive whose one claim keeps failing answers the claims that went through, and the failed one is delivered next', async () => {
    const w = fresh();
    const queue = queueName('half-receive');
    await ok(send(w.app, 'PUT', path(queue), { visibilityTimeoutSeconds: 30 }), 201);
    const published = await ok(
      send(w.app, 'POST', path(queue, '/messages/batch'), {
        messages: Array.from({ length: 10 }, (_, i) => ({ body: i })),
      }),
      200,
    );
    const ids = published.json.results.map((r: { id: string }) => r.id) as string[];
    w.faults.arm({
      kind: 'internal',
      command: 'UpdateItem',
      attempts: Number.POSITIVE_INFINITY,
      when: (input) => input.Key?.sk?.S === `M#${ids[4]}`,
    });
    const answer = await ok(send(w.app, 'POST', path(queue, '/receive'), { maxMessages: 10 }), 200);
    w.faults.disarm();
    // The claims that went through are answered, not left leased to nobody until their lease
    // ends (nor, with auto ack, removed unseen); the failed claim changed nothing.
    const first = answer.json.messages.map((m: { id: string }) => m.id) as string[];
    expect(first).toHaveLength(9);
    expect(first).not.toContain(ids[4]);
    expect((await counts(w, queue)).inFlight).toBe(9);
    const next = await ok(send(w.app, 'POST', path(queue, '/receive'), { maxMessages: 10 }), 200);
    expect(next.json.messages.map((m: { id: string }) => m.id)).toEqual([ids[4]]);
    expect([...first, ids[4]].sort()).toEqual([...ids].sort());
  });
});

interface LostCase {
  name: string;
  fault: Omit<Fault, 'kind' | 'attempts'>;
  run(w: World, queue: string): Promise<void>;
}

const LOST: LostCase[] = [
  {
    name: 'publish: the put applied twice is one message',
    fault: { command: 'PutItem' },
    async run(w, queue) {
      await ok(send(w.app, 'PUT', path(queue), {}), 201);
      await ok(send(w.app, 'POST', path(queue, '/messages'), { body: 'x' }), 201);
      expect((await counts(w, queue)).total).toBe(1);
    },
  },
  {
    name: 'publish: the sequence reserved twice leaves a gap, not a second message',
    fault: { command: 'UpdateItem', when: isMeta },
    async run(w, queue) {
      await ok(send(w.app, 'PUT', path(queue), {}), 201);
      await ok(send(w.app, 'POST', path(queue, '/messages'), { body: 'x' }), 201);
      expect((await counts(w, queue)).total).toBe(1);
    },
  },
  {
    name: 'batch publish: each message once',
    fault: { command: 'BatchWriteItem' },
    async run(w, queue) {
      await ok(send(w.app, 'PUT', path(queue), {}), 201);
      await ok(
        send(w.app, 'POST', path(queue, '/messages/batch'), {
          messages: Array.from({ length: 10 }, (_, i) => ({ body: i })),
        }),
        200,
      );
      expect((await counts(w, queue)).total).toBe(10);
    },
  },
  {
    name: 'publish with a deduplication id: the transaction’s token makes the retry a no-op',
    fault: { command: 'TransactWriteItems' },
    async run(w, queue) {
      await ok(send(w.app, 'PUT', path(queue), {}), 201);
      const first = await send(w.app, 'POST', path(queue, '/messages'), { body: 'x', deduplicationId: 'd' });
      expect([200, 201]).toContain(first.status);
      expect((await counts(w, queue)).total).toBe(1);
      const again = await ok(
        send(w.app, 'POST', path(queue, '/messages'), { body: 'x', deduplicationId: 'd' }),
        200,
      );
      expect(again.json).toMatchObject({ id: first.json.id, duplicate: true });
    },
  },
  {
    name: 'publish to a bounded queue: the counter moves once',
    fault: { command: 'TransactWriteItems' },
    async run(w, queue) {
      await ok(send(w.app, 'PUT', path(queue), { maxMessages: 2 }), 201);
      await ok(send(w.app, 'POST', path(queue, '/messages'), { body: 1 }), 201);
      w.faults.disarm();
      await ok(send(w.app, 'POST', path(queue, '/messages'), { body: 2 }), 201);
      await ok(send(w.app, 'POST', path(queue, '/messages'), { body: 3 }), 429);
    },
  },
  {
    name: 'topic publish: one copy in each queue',
    fault: { command: 'TransactWriteItems' },
    async run(w, queue) {
      const other = `${queue}-b`;
      w.faults.disarm();
      await ok(send(w.app, 'PUT', path(queue), {}), 201);
      await ok(send(w.app, 'PUT', path(other), {}), 201);
      await ok(
        send(w.app, 'PUT', `/v1/topics/${queue}`, { subscriptions: [{ queue }, { queue: other }] }),
        201,
      );
      w.faults.arm({ kind: 'lostResponse', command: 'TransactWriteItems' });
      await ok(send(w.app, 'POST', `/v1/topics/${queue}/messages`, { body: 'x' }), 201);
      expect((await counts(w, queue)).total).toBe(1);
      expect((await counts(w, other)).total).toBe(1);
    },
  },
  {
    name: 'receive: a claim whose answer was lost is delivered when its lease ends',
    fault: { command: 'UpdateItem', when: (input) => !isMeta(input) },
    async run(w, queue) {
      w.faults.disarm();
      await ok(send(w.app, 'PUT', path(queue), { visibilityTimeoutSeconds: 30 }), 201);
      const { json } = await ok(send(w.app, 'POST', path(queue, '/messages'), { body: 'x' }), 201);
      w.faults.arm({
        kind: 'lostResponse',
        command: 'UpdateItem',
        when: (input) => !isMeta(input),
        requests: 1,
      });
      const first = await ok(send(w.app, 'POST', path(queue, '/receive'), {}), 200);
      w.faults.disarm();
      if (first.json.messages.length === 0) {
        expect(await counts(w, queue)).toMatchObject({ inFlight: 1, total: 1 });
        w.clock.advance(31_000);
      }
      const got = first.json.messages.length
        ? first
        : await ok(send(w.app, 'POST', path(queue, '/receive'), {}), 200);
      expect(got.json.messages.map((m: { id: string }) => m.id)).toEqual([json.id]);
    },
  },
  {
    name: 'ack: done once; answered 204 or 409 ReceiptExpired (the receipt no longer holds: it was acked)',
    fault: { command: 'DeleteItem' },
    async run(w, queue) {
      w.faults.disarm();
      const [message] = await publishAndReceive(w, queue, 1);
      w.faults.arm({ kind: 'lostResponse', command: 'DeleteItem' });
      const answer = await send(w.app, 'POST', path(queue, '/ack'), { receipt: message?.receipt });
      expect([204, 409]).toContain(answer.status);
      expect((await counts(w, queue)).total).toBe(0);
    },
  },
  {
    name: 'ack of a batch: one transaction, done once',
    fault: { command: 'TransactWriteItems' },
    async run(w, queue) {
      w.faults.disarm();
      const messages = await publishAndReceive(w, queue, 5);
      w.faults.arm({ kind: 'lostResponse', command: 'TransactWriteItems' });
      const answer = await ok(
        send(w.app, 'POST', path(queue, '/ack'), { receipts: messages.map((m) => m.receipt) }),
        200,
      );
      for (const result of answer.json.results)
        expect(result.ok ?? result.error.code).not.toBe('InternalError');
      expect((await counts(w, queue)).total).toBe(0);
    },
  },
  {
    name: 'release: done once; answered 204 or 409',
    fault: { command: 'UpdateItem', when: (input) => !isMeta(input) },
    async run(w, queue) {
      w.faults.disarm();
      const [message] = await publishAndReceive(w, queue, 1);
      w.faults.arm({ kind: 'lostResponse', command: 'UpdateItem', when: (input) => !isMeta(input) });
      const answer = await send(w.app, 'POST', path(queue, '/release'), { receipt: message?.receipt });
      expect([204, 409]).toContain(answer.status);
      expect(await counts(w, queue)).toMatchObject({ ready: 1, inFlight: 0 });
    },
  },
  {
    name: 'extend: the same lease end either way',
    fault: { command: 'UpdateItem', when: (input) => !isMeta(input) },
    async run(w, queue) {
      w.faults.disarm();
      const [message] = await publishAndReceive(w, queue, 1);
      w.faults.arm({ kind: 'lostResponse', command: 'UpdateItem', when: (input) => !isMeta(input) });
      const answer = await ok(
        send(w.app, 'POST', path(queue, '/extend'), {
          receipt: message?.receipt,
          visibilityTimeoutSeconds: 600,
        }),
        200,
      );
      const view = await w.engine.getMessage(queue, message?.id as string);
      expect(view.leaseExpiresAt).toBe(Date.parse(answer.json.leaseExpiresAt));
    },
  },
  {
    name: 'cancel a message: gone; answered 204 or 404',
    fault: { command: 'DeleteItem' },
    async run(w, queue) {
      w.faults.disarm();
      await ok(send(w.app, 'PUT', path(queue), {}), 201);
      const { json } = await ok(send(w.app, 'POST', path(queue, '/messages'), { body: 'x' }), 201);
      w.faults.arm({ kind: 'lostResponse', command: 'DeleteItem' });
      const answer = await send(w.app, 'DELETE', path(queue, `/messages/${json.id}`));
      expect([204, 404]).toContain(answer.status);
      expect((await counts(w, queue)).total).toBe(0);
    },
  },
  {
    name: 'create a queue: created once',
    fault: { command: 'TransactWriteItems' },
    async run(w, queue) {
      const answer = await send(w.app, 'PUT', path(queue), {});
      expect([200, 201]).toContain(answer.status);
      w.faults.disarm();
      await ok(send(w.app, 'GET', path(queue)), 200);
    },
  },
];

describe('answers lost after DynamoDB applied the request (the SDK sends it again)', () => {
  for (const c of LOST) {
    it(c.name, async () => {
      const w = fresh();
      w.faults.arm({ ...c.fault, kind: 'lostResponse' });
      await c.run(w, queueName('lost'));
      w.faults.disarm();
    });
  }
});
