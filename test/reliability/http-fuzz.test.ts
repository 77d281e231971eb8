/**
 * Hostile input through the real HTTP server over a socket: the local server's node:http adapter
 * on 127.0.0.1 in front of the app (with a token) and a DynamoEngine on DynamoDB Local.
 * test/api/fuzz.test.ts fuzzes the app in-process with malformed fields; this adds what only a
 * socket shows, and input meant to hurt: prototype keys, duplicate keys, deep nesting, numbers
 * out of range, NULs and lone surrogates, wrong content types, hostile paths and queries, raw
 * bytes that are not HTTP, request smuggling, oversized headers and bodies, many at once.
 *
 * Every request here is malformed, so: only 4xx, with the contract's error body whenever the
 * request reached the app (node's own HTTP parser answers protocol garbage with a bare 400/431
 * and closes the connection); never a 5xx; the server answers afterwards; and the table holds
 * exactly what it held before.
 */
import { Socket } from 'node:net';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../functions/api/app';
import { DynamoEngine } from '../../functions/core/dynamo-engine';
import { type LocalServer, startServer } from '../../functions/local/server';
import { ROUTES } from '../api/support';
import { freshTable } from '../support/dynamo';

const TOKEN = 'fuzz-token-5b0c1a';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const QUEUE = 'fz';

let server: LocalServer;
let snapshot: () => Promise<string[]>;
let before: string[];
let logged: string[] = [];

beforeAll(async () => {
  const { client, tableName } = await freshTable();
  const engine = new DynamoEngine({ client, tableName });
  await engine.putQueue(QUEUE, {});
  await engine.publishBatch(
    QUEUE,
    Array.from({ length: 3 }, (_, i) => ({ body: { i } })),
  );
  await engine.receive(QUEUE, { visibilityTimeoutSeconds: 3600 });
  await engine.putTopic('tz', [{ queue: QUEUE }]);
  const app = createApp({ engine, token: TOKEN });
  server = await startServer({ fetch: (request) => app.fetch(request), port: 0 });
  // Every item, attribute by attribute, in a stable order: a change anywhere shows.
  snapshot = async () => {
    const { Items = [] } = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
    return Items.map((item) =>
      JSON.stringify(Object.entries(item).sort(([a], [b]) => a.localeCompare(b))),
    ).sort();
  };
  // Unexpected errors are logged (and would be 500s, which the properties refuse anyway).
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    logged.push(args.map(String).join(' '));
  });
});

beforeEach(async () => {
  before = await snapshot();
  logged = [];
});

afterAll(async () => {
  await server?.close();
});

interface Answer {
  status: number;
  contentType: string | null;
  text: string;
}

async function request(
  method: string,
  path: string,
  body?: string | Uint8Array,
  headers: Record<string, string> = AUTH,
): Promise<Answer> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers,
    body: method === 'GET' || method === 'HEAD' ? undefined : body,
    signal: AbortSignal.timeout(20_000),
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    text: await response.text(),
  };
}

function expectRefused(answer: Answer, what: string): void {
  expect(answer.status, `${what} → ${answer.status} ${answer.text.slice(0, 200)}`).toBeGreaterThanOrEqual(
    400,
  );
  expect(answer.status, what).toBeLessThan(500);
  expect(answer.contentType, what).toBe('application/json; charset=utf-8');
  const json = JSON.parse(answer.text);
  expect(Object.keys(json), what).toEqual(['error']);
  expect(Object.keys(json.error).sort(), what).toEqual(['code', 'message']);
  expect(typeof json.error.message, what).toBe('string');
}

async function expectAliveAndUnchanged(): Promise<void> {
  const health = await request('GET', '/v1/health', undefined, {});
  expect(health.status).toBe(200);
  const after = await snapshot();
  expect({
    added: after.filter((item) => !before.includes(item)),
    removed: before.filter((item) => !after.includes(item)),
  }).toEqual({ added: [], removed: [] });
  expect(logged).toEqual([]);
}

const bodyRoutes = ROUTES.filter((route) => route.body !== undefined).map((route) => ({
  ...route,
  path: route.path.replace('/v1/queues/q', `/v1/queues/${QUEUE}`).replace('/v1/topics/t', '/v1/topics/tz'),
}));

/** A JSON text nested `depth` deep. */
const nested = (depth: number, inner = '1') => `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;

/** Request bodies that are never a valid request for any route. */
const hostileBody = fc.oneof(
  // Prototype keys, as own properties of the parsed body: unknown fields.
  fc.constantFrom(
    '{"__proto__":{"body":1}}',
    '{"body":1,"__proto__":{"delaySeconds":5}}',
    '{"constructor":{"prototype":{"polluted":true}},"body":1}',
    '{"receipt":"r","prototype":1}',
    '{"messages":[{"body":1,"__proto__":{"x":1}}],"__proto__":null}',
  ),
  // Duplicate keys: the last wins, and it is wrong.
  fc.constantFrom('{"body":1,"body":null}', '{"receipt":"a","receipt":5}', '{"messages":[],"messages":{}}'),
  // Deep nesting: as the whole body, or where a scalar belongs.
  fc.integer({ min: 100, max: 20_000 }).map((depth) => nested(depth)),
  fc.integer({ min: 100, max: 5_000 }).map((depth) => `{"priority":${nested(depth)},"body":1}`),
  fc.integer({ min: 100, max: 5_000 }).map((depth) => `{"maxMessages":${nested(depth)}}`),
  // Numbers no field takes.
  fc
    .constantFrom('1e309', '-1e309', '9007199254740993', '1.0000000000000002', '-0.5', '0x10', 'NaN')
    .chain((n) =>
      fc.constantFrom(
        `{"body":1,"priority":${n}}`,
        `{"maxMessages":${n}}`,
        `{"receipt":"r","visibilityTimeoutSeconds":${n}}`,
        `{"visibilityTimeoutSeconds":${n},"order":"fifo","maxMessages":${n}}`,
      ),
    ),
  // NULs, lone surrogates and control characters where names and enums belong.
  fc
    .constantFrom('\\u0000', '\\ud800', '\\udfff', '\\u202e', '\\u0007', '\\n')
    .chain((c) =>
      fc.constantFrom(
        `{"body":1,"groupId":"g${c}","priority":"${c}"}`,
        `{"ack":"auto${c}"}`,
        `{"order":"fifo${c}"}`,
        `{"body":1,"attributes":{"k${c}":"v"}}`,
        `{"subscriptions":[{"queue":"${QUEUE}${c}"}]}`,
        `{"receipt":5,"x${c}":1}`,
      ),
    ),
  // Not JSON at all, or JSON that is not an object.
  fc.constantFrom('', ' ', 'null', '[]', '"body"', '{', '{"body":1', "{'body':1}", '{"body":1,}', '\u0000'),
  fc.string({ maxLength: 64 }).filter((text) => {
    try {
      const value = JSON.parse(text);
      return value === null || typeof value !== 'object' || Array.isArray(value);
    } catch {
      return true;
    }
  }),
);

const contentTypes = fc.constantFrom<Record<string, string>>(
  {},
  { 'content-type': 'application/json' },
  { 'content-type': 'text/plain' },
  { 'content-type': 'application/x-www-form-urlencoded' },
  { 'content-type': 'multipart/form-data; boundary=xyz' },
  { 'content-type': 'application/json; charset=utf-16' },
  { 'content-type': 'application/json'.repeat(200) },
);

describe('hostile bodies on every route that takes one', () => {
  it('4xx with the error body, never a 5xx; nothing stored', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...bodyRoutes),
        hostileBody,
        contentTypes,
        async (route, body, headers) => {
          // An empty body means {} on routes whose fields are all optional: that is no fault.
          if (
            body.trim() === '' &&
            ['PUT', 'POST'].includes(route.method) &&
            /\/(receive|purge|redrive|pause|resume)$|^\/v1\/queues\/[^/]+$/.test(route.path)
          )
            return;
          const answer = await request(route.method, route.path, body, { ...AUTH, ...headers });
          expectRefused(answer, `${route.method} ${route.path} ${body.slice(0, 80)}`);
        },
      ),
      { numRuns: 150 },
    );
    await expectAliveAndUnchanged();
  });

  it('bodies over the size limits: 413, with the error body', async () => {
    const big = 'x'.repeat(1024 * 1024 + 10);
    for (const [method, path, body] of [
      ['POST', `/v1/queues/${QUEUE}/messages`, JSON.stringify({ body: big })],
      ['POST', `/v1/queues/${QUEUE}/messages`, JSON.stringify({ body: 'x'.repeat(262_144) })],
      ['POST', `/v1/queues/${QUEUE}/messages/batch`, JSON.stringify({ messages: [{ body: big }] })],
      ['PUT', `/v1/queues/${QUEUE}`, JSON.stringify({ padding: big })],
      ['POST', `/v1/queues/${QUEUE}/ack`, JSON.stringify({ receipt: big })],
    ] as const) {
      const answer = await request(method, path, body);
      expectRefused(answer, `${method} ${path} (${body.length} bytes)`);
      expect(answer.status, path).toBe(413);
    }
    await expectAliveAndUnchanged();
  });

  it('bytes that are not UTF-8 where JSON structure belongs', async () => {
    const payloads = [
      Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d]),
      Uint8Array.from([0xc3, 0x28]),
      Uint8Array.from([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf, 0x7b, 0x7d, 0x7d]),
      Uint8Array.from([0x7b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x3a, 0x31, 0x7d]),
    ];
    for (const route of bodyRoutes) {
      for (const payload of payloads) {
        const answer = await request(route.method, route.path, payload);
        expectRefused(answer, `${route.method} ${route.path} bytes ${[...payload].join(',')}`);
      }
    }
    await expectAliveAndUnchanged();
  });
});

describe('hostile paths and queries', () => {
  const badName = fc.oneof(
    fc.constantFrom(
      '%2e%2e',
      '..%2F..%2Fetc%2Fpasswd',
      '%00',
      'a%00b',
      '%ZZ',
      '%',
      'q%2Fx',
      '%F0%9F%92%A5',
      '%ED%A0%80',
      'q%20x',
      'Q%23x',
      'q.x',
      'a'.repeat(81),
      'a'.repeat(10_000),
      '%7B%22body%22%3A1%7D',
      '__proto__%00',
      'constructor%3F',
    ),
    fc
      .string({ minLength: 1, maxLength: 30 })
      .filter((s) => !/^[A-Za-z0-9_-]{1,80}$/.test(s))
      .map(encodeURIComponent),
  );

  it('names outside the alphabet on every route: 4xx, never a 5xx; nothing stored', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ROUTES), badName, async (route, name) => {
        const path = route.path
          .replace('/v1/queues/q', `/v1/queues/${name}`)
          .replace('/v1/topics/t', `/v1/topics/${name}`);
        if (path === route.path) return; // health, openapi, listings: no name in the path
        const body = route.body === undefined ? undefined : JSON.stringify(route.body);
        const answer = await request(route.method, path, body);
        expectRefused(answer, `${route.method} ${path.slice(0, 120)}`);
      }),
      { numRuns: 120 },
    );
    await expectAliveAndUnchanged();
  });

  it('hostile query strings on the listing and browsing routes', async () => {
    const value = fc.constantFrom(
      '-1',
      '0',
      '101',
      '1e3',
      '1.5',
      '0x10',
      '%00',
      'abc',
      '',
      'a'.repeat(5_000),
      '%E2%80%AE',
      '[object Object]',
      'eyJwayI6IlFVRVVFUyIsInNrIjoieiJ9',
    );
    const key = fc.constantFrom('limit', 'cursor', 'state', '__proto__', 'constructor', 'limit[]', 'x');
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/v1/queues', `/v1/queues/${QUEUE}/messages`, '/v1/topics'),
        fc.array(fc.tuple(key, value), { minLength: 1, maxLength: 3 }),
        async (base, pairs) => {
          // A limit alone in its range, or a known state, is a valid query: keep only invalid ones.
          const query = pairs.map(([k, v]) => `${k}=${v}`).join('&');
          const answer = await request('GET', `${base}?${query}`);
          if (answer.status < 300) {
            expect(
              pairs.every(
                ([k, v]) => k === 'limit' && /^[0-9]+$/.test(v) && Number(v) >= 1 && Number(v) <= 100,
              ),
            ).toBe(true);
            return;
          }
          expectRefused(answer, `GET ${base}?${query.slice(0, 100)}`);
        },
      ),
      { numRuns: 150 },
    );
    await expectAliveAndUnchanged();
  });

  it('every method on every path, with and without the token: never a 5xx', async () => {
    const segment = fc.oneof(
      fc.constantFrom(
        'v1',
        'queues',
        QUEUE,
        'messages',
        'batch',
        'receive',
        'ack',
        'topics',
        'ui',
        '',
        '..',
        '%2F',
      ),
      fc.string({ maxLength: 8 }).map(encodeURIComponent),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'HEAD', 'PUT', 'POST', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND', 'PURGE'),
        fc.array(segment, { maxLength: 6 }),
        fc.constantFrom(AUTH, {}, { authorization: 'Bearer wrong' }, { authorization: `Basic ${TOKEN}` }),
        async (method, parts, headers) => {
          const path = `/${parts.join('/')}`;
          // Without the token nothing can change; with it, no changes to queues and topics (as
          // fetch resolves dot segments before sending).
          const mutating = !['GET', 'HEAD', 'OPTIONS'].includes(method);
          const sent = new URL(`${server.url}${path}`).pathname;
          if (mutating && headers === AUTH && /^\/v1\/(queues|topics)\//.test(sent)) return;
          const answer = await request(method, path, mutating ? '{}' : undefined, headers);
          expect(answer.status, `${method} ${path}`).toBeLessThan(500);
          if (answer.status >= 400 && method !== 'HEAD') expectRefused(answer, `${method} ${path}`);
        },
      ),
      { numRuns: 120 },
    );
    await expectAliveAndUnchanged();
  });
});

/** Writes raw bytes on a new connection; resolves with what came back when the server closed it or after `ms`. */
function raw(bytes: string | Buffer, ms = 3_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(received);
    }, ms);
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (error.code === 'ECONNRESET') resolve(received);
      else reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received);
    });
    socket.connect(server.port, '127.0.0.1', () => socket.end(bytes));
  });
}

const statusOf = (response: string) => Number(/^HTTP\/1\.[01] (\d{3})/.exec(response)?.[1] ?? 0);

describe('bytes that are not (good) HTTP, on a raw socket', () => {
  it('garbage, smuggling, oversized headers, broken chunking: 4xx or a closed connection, never a 5xx', async () => {
    const host = `Host: 127.0.0.1:${server.port}\r\nAuthorization: Bearer ${TOKEN}\r\n`;
    // Requests node may take as they are (lenient parsing, absolute-form targets): any non-5xx.
    const acceptable = new Set<string | Buffer>();
    const cases: (string | Buffer)[] = [
      'GARBAGE\r\n\r\n',
      '\x00\x01\x02\x03\r\n\r\n',
      'GET /v1/health HTTP/9.9\r\n\r\n',
      `GET /v1/queues HTTP/1.1\r\n${host}Bad Header Without Colon\r\n\r\n`,
      `GET /v1/queues HTTP/1.1\r\n${host}X-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      `POST /v1/queues/${QUEUE}/messages HTTP/1.1\r\n${host}Content-Length: 12\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n`,
      `POST /v1/queues/${QUEUE}/messages HTTP/1.1\r\n${host}Content-Length: 5\r\nContent-Length: 12\r\n\r\n{"body":1}`,
      `POST /v1/queues/${QUEUE}/messages HTTP/1.1\r\n${host}Transfer-Encoding: chunked\r\n\r\nZZZ\r\n{"body":1}\r\n0\r\n\r\n`,
      `POST /v1/queues/${QUEUE}/messages HTTP/1.1\r\n${host}Content-Length: -1\r\n\r\n{"body":1}`,
      `POST /v1/queues/${QUEUE}/messages HTTP/1.1\r\n${host}Content-Length: 100\r\n\r\n{"body":1}`,
      `POST /v1/queues/${QUEUE}/messages HTTP/1.1\r\n${host}Content-Length: 99999999999\r\n\r\n{"body":1}`,
      `GET /v1/queues/${'%'.repeat(3)}/messages HTTP/1.1\r\n${host}\r\n`,
    ];
    const lenient = [
      'GET  /v1/queues HTTP/1.1\r\n\r\n',
      `GET http://evil.example/v1/queues HTTP/1.1\r\n${host}\r\n`,
      `GET /v1/queues HTTP/1.1\r\nHost: a\r\nHost: b\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`,
    ];
    for (const bytes of lenient) acceptable.add(bytes);
    cases.push(
      ...lenient,
      Buffer.concat([
        Buffer.from(`POST /v1/queues/${QUEUE}/receive HTTP/1.1\r\n${host}Content-Length: 4\r\n\r\n`),
        Buffer.from([0xff, 0xfe, 0x00, 0x7b]),
      ]),
    );
    for (const bytes of cases) {
      const response = await raw(bytes);
      const status = statusOf(response);
      const what = JSON.stringify(bytes.toString().slice(0, 120));
      // 0: no answer (a body that never completes is abandoned when the connection closes).
      expect(status, `${what} → ${response.slice(0, 200)}`).toBeLessThan(500);
      if (status !== 0 && !acceptable.has(bytes)) expect(status, what).toBeGreaterThanOrEqual(400);
    }
    await expectAliveAndUnchanged();
  });

  it('a hundred malformed requests at once', async () => {
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        request(
          'POST',
          `/v1/queues/${QUEUE}/${i % 2 ? 'messages' : 'ack'}`,
          i % 3 ? '{"x":1}' : nested(5_000),
        ),
      ),
    );
    for (const answer of answers) expectRefused(answer, 'concurrent');
    await expectAliveAndUnchanged();
  });
});
