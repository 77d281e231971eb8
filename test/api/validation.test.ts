/**
 * Bad input of every kind, on every route: wrong types, out of range, unknown fields, invalid
 * JSON, empty bodies, bad names, unknown query parameters. None of it may reach the engine (an
 * engine that throws on every call would turn any leak into a 500).
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../functions/api/app';
import { type Answer, expectError, ROUTES, send, throwingEngine } from './support';

let engine: ReturnType<typeof throwingEngine>;
let app: ReturnType<typeof createApp>;
beforeEach(() => {
  // Requests that do reach the throwing engine are logged as unexpected errors; keep the output clean.
  vi.spyOn(console, 'error').mockImplementation(() => {});
  engine = throwingEngine();
  app = createApp({ engine, clock: () => Date.parse('2026-11-25T12:00:00.000Z') });
});

const post = (path: string, body: unknown) => send(app, 'POST', path, body);
const expectInvalid = (answer: Answer, field: string) => expectError(answer, 400, 'ValidationError', field);

/** [field named in the message, body] */
type Case = [string, unknown];

const wrongIntegers = (field: string, min: number, max: number, extra: object = {}): Case[] => [
  [field, { ...extra, [field]: min - 1 }],
  [field, { ...extra, [field]: max + 1 }],
  [field, { ...extra, [field]: 1.5 }],
  [field, { ...extra, [field]: String(min) }],
  [field, { ...extra, [field]: true }],
  [field, { ...extra, [field]: [] }],
  [field, { ...extra, [field]: {} }],
];

describe('names in the path', () => {
  it('refuses queue names outside ^[A-Za-z0-9_-]{1,80}$ on every route', async () => {
    const bad = ['a.b', 'a%20b', 'a%2Fb', 'é', 'x'.repeat(81), 'a*b', 'a~b', '%00'];
    for (const name of bad) {
      for (const { method, path, body } of ROUTES.filter((route) => route.path.startsWith('/v1/queues/q'))) {
        const answer = await send(app, method, path.replace('/v1/queues/q', `/v1/queues/${name}`), body);
        expectInvalid(answer, 'queue');
      }
    }
    expect(engine.calls).toEqual([]);
  });

  it('accepts names of 1 and 80 characters from the whole alphabet', async () => {
    for (const name of ['a', 'x'.repeat(80), 'Az09_-', '-', '_']) {
      const answer = await send(app, 'GET', `/v1/queues/${name}`);
      expect(answer.status).toBe(500); // reached the (throwing) engine
    }
  });

  it('refuses message ids that cannot be ids', async () => {
    for (const id of ['a.b', 'x'.repeat(65), 'a%20b', 'a~b']) {
      expectInvalid(await send(app, 'GET', `/v1/queues/q/messages/${id}`), 'id');
      expectInvalid(await send(app, 'DELETE', `/v1/queues/q/messages/${id}`), 'id');
    }
    expect(engine.calls).toEqual([]);
  });
});

describe('bodies', () => {
  it('answers 400 InvalidJson for a body that is not JSON, or not an object, on every body route', async () => {
    const routes = ROUTES.filter((route) => route.body !== undefined);
    for (const { method, path } of routes) {
      for (const raw of [
        '{',
        '{"a":1,}',
        "{'a':1}",
        'nul',
        '[]',
        '[{}]',
        '1',
        '"x"',
        'null',
        'true',
        '\u00ff{}',
      ]) {
        expectError(await send(app, method, path, raw), 400, 'InvalidJson');
      }
    }
    expect(engine.calls).toEqual([]);
  });

  it('answers 400 InvalidJson for a body that is not UTF-8', async () => {
    const response = await app.request('/v1/queues/q/messages', {
      method: 'POST',
      body: new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d]),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('InvalidJson');
  });

  it('reads an empty body as {} where every field is optional, and as InvalidJson where one is required', async () => {
    for (const [method, path] of [
      ['PUT', '/v1/queues/q'],
      ['POST', '/v1/queues/q/receive'],
      ['POST', '/v1/queues/q/purge'],
    ] as const) {
      for (const empty of ['', '  \n']) {
        expect((await send(app, method, path, empty)).status).toBe(500); // reached the engine
      }
      expect((await app.request(path, { method })).status).toBe(500); // no body at all
    }
    for (const path of ['messages', 'messages/batch', 'ack', 'release', 'extend']) {
      expectError(await post(`/v1/queues/q/${path}`, ''), 400, 'InvalidJson');
      expectError(
        await toAnswer(await app.request(`/v1/queues/q/${path}`, { method: 'POST' })),
        400,
        'InvalidJson',
      );
    }
  });

  it('reads the body as JSON whatever the Content-Type says, or without one', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/json']) {
      const answer = await send(app, 'POST', '/v1/queues/q/receive', '{"maxMessages":0}', {
        'Content-Type': type,
      });
      expectInvalid(answer, 'maxMessages');
    }
  });

  it('refuses unknown fields on every body route, naming them', async () => {
    const routes = ROUTES.filter((route) => route.body !== undefined);
    for (const { method, path, body } of routes) {
      const answer = await send(app, method, path, { ...(body as object), nonsense: 1 });
      expectInvalid(answer, "'nonsense'");
    }
    expectInvalid(
      await post('/v1/queues/q/ack', JSON.parse('{"receipt":"r","__proto__":{"x":1}}')),
      '__proto__',
    );
    expect(engine.calls).toEqual([]);
  });
});

describe('PUT /v1/queues/{queue}', () => {
  const cases: Case[] = [
    ['order', { order: 'FIFO' }],
    ['order', { order: null }],
    ['order', { order: 1 }],
    ...wrongIntegers('visibilityTimeoutSeconds', 0, 43_200),
    ...wrongIntegers('maxReceiveCount', 1, 1_000, { deadLetterQueue: 'dlq' }),
    ...wrongIntegers('delaySeconds', 0, 31_536_000),
    ...wrongIntegers('retentionSeconds', 60, 31_536_000),
    ['maxMessages', { maxMessages: -1 }],
    ['maxMessages', { maxMessages: 0.5 }],
    ['maxMessages', { maxMessages: '10' }],
    ['maxMessages', { maxMessages: 2 ** 60 }],
    ...wrongIntegers('deduplicationWindowSeconds', 0, 86_400),
    ...wrongIntegers('shards', 1, 1_024),
    ['throughput', { throughput: 'low' }],
    ['throughput', { throughput: true }],
    ...wrongIntegers('targetMessagesPerSecond', 1, 179_200, { throughput: 'high' }),
    ['deadLetterQueue', { deadLetterQueue: 'bad name' }],
    ['deadLetterQueue', { deadLetterQueue: '' }],
    ['deadLetterQueue', { deadLetterQueue: 5 }],
    ['deadLetterQueue', { deadLetterQueue: 'q' }],
    ['deadLetterQueue', { deadLetterQueue: 'q', maxReceiveCount: 3 }],
    ['maxReceiveCount', { maxReceiveCount: 3, deadLetterQueue: null }],
    ['visibilityTimeoutSeconds', { visibilityTimeoutSeconds: null }],
  ];
  it.each(cases)('refuses a bad %s', async (field, body) => {
    expectInvalid(await send(app, 'PUT', '/v1/queues/q', body), field);
    expect(engine.calls).toEqual([]);
  });
});

describe('POST /v1/queues/{queue}/messages', () => {
  const path = '/v1/queues/q/messages';
  const cases: Case[] = [
    ['body', {}],
    ['body', { body: null }],
    ['body', { priority: 1 }],
    // Raw JSON: numbers JSON.parse turns into ±Infinity, which would be stored as null.
    ['body', '{"body":1e400}'],
    ['body', '{"body":{"deep":[1,2,-1e999]}}'],
    ...wrongIntegers('delaySeconds', 0, 31_536_000, { body: 1 }),
    ...wrongIntegers('priority', 0, 9, { body: 1 }),
    ...wrongIntegers('waitSeconds', 0, 20, { body: 1 }),
    ['groupId', { body: 1, groupId: '' }],
    ['groupId', { body: 1, groupId: 'g'.repeat(129) }],
    ['groupId', { body: 1, groupId: 5 }],
    ['groupId', { body: 1, groupId: null }],
    ['deduplicationId', { body: 1, deduplicationId: '' }],
    ['deduplicationId', { body: 1, deduplicationId: 'd'.repeat(129) }],
    ['deduplicationId', { body: 1, deduplicationId: ['x'] }],
    ['attributes', { body: 1, attributes: [] }],
    ['attributes', { body: 1, attributes: 'k=v' }],
    ['attributes', { body: 1, attributes: null }],
    ['attributes.k', { body: 1, attributes: { k: 1 } }],
    ['attributes.k', { body: 1, attributes: { k: null } }],
    ['attributes.k', { body: 1, attributes: { k: { nested: 'x' } } }],
    ['attributes.a b', { body: 1, attributes: { 'a b': 'x' } }],
    ['attributes.', { body: 1, attributes: { '': 'x' } }],
    ['attributes', { body: 1, attributes: { ['k'.repeat(65)]: 'x' } }],
    [
      'attributes',
      { body: 1, attributes: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v'])) },
    ],
    // zod skips an own __proto__ key of a record; it is checked and counted all the same.
    ['attributes.__proto__', '{"body":1,"attributes":{"__proto__":5}}'],
    ['attributes.__proto__', '{"body":1,"attributes":{"__proto__":{"x":"y"}}}'],
    [
      'attributes',
      `{"body":1,"attributes":{"__proto__":"x",${Array.from({ length: 10 }, (_, i) => `"k${i}":"v"`).join(',')}}}`,
    ],
    ['deliverAt', { body: 1, deliverAt: 'tomorrow' }],
    ['deliverAt', { body: 1, deliverAt: '2026-11-26' }],
    ['deliverAt', { body: 1, deliverAt: '2026-11-26T10:00:00' }],
    ['deliverAt', { body: 1, deliverAt: '2026-02-30T10:00:00Z' }],
    ['deliverAt', { body: 1, deliverAt: '2026-11-26T24:00:00Z' }],
    ['deliverAt', { body: 1, deliverAt: 1_800_000_000_000 }],
    ['deliverAt', { body: 1, deliverAt: '2027-11-25T12:00:00.001Z' }],
    ['deliverAt', { body: 1, deliverAt: '2099-01-01T00:00:00Z' }],
    ['deliverAt', { body: 1, deliverAt: '2026-11-26T10:00:00Z', delaySeconds: 5 }],
    ['delaySeconds', { body: 1, deliverAt: '2026-11-26T10:00:00Z', delaySeconds: 0 }],
  ];
  it.each(cases)('refuses a bad %s', async (field, body) => {
    expectInvalid(await post(path, body), field);
    expect(engine.calls).toEqual([]);
  });

  it('refuses a message whose body plus attributes is over 262,144 bytes with 413', async () => {
    // '"' + 262,140 × 'x' + '"' = 262,142 bytes, plus '{}' = 262,144: the largest allowed.
    const atLimit = { body: 'x'.repeat(262_140) };
    expect((await post(path, atLimit)).status).toBe(500); // reached the engine
    expectError(await post(path, { body: 'x'.repeat(262_141) }), 413, 'PayloadTooLarge');
    // Multi-byte characters count as their UTF-8 bytes.
    expectError(await post(path, { body: 'é'.repeat(131_071) }), 413, 'PayloadTooLarge');
    expectError(
      await post(path, { body: 'x'.repeat(200_000), attributes: { big: 'y'.repeat(62_200) } }),
      413,
      'PayloadTooLarge',
    );
    expect(engine.calls.map((call) => call.method)).toEqual(['publish']);
  });

  it('refuses a request over 1 MiB with 413, before parsing it', async () => {
    const huge = `{"body":"${'x'.repeat(1_048_576)}"}`;
    const answer = await post(path, huge);
    expectError(answer, 413, 'PayloadTooLarge');
    // The unread rest of the body is still on the connection: it cannot carry another request.
    expect(answer.headers.get('connection')).toBe('close');
    expectError(await post(path, `${' '.repeat(1_048_577)}`), 413, 'PayloadTooLarge');
    expectError(await post(path, '{'.repeat(1_048_577)), 413, 'PayloadTooLarge');
    expect(engine.calls).toEqual([]);
  });

  it('refuses a request that announces more than 1 MiB, even on a route without a body', async () => {
    const answer = await send(app, 'DELETE', '/v1/queues/q', undefined, { 'Content-Length': '1048577' });
    expectError(answer, 413, 'PayloadTooLarge');
  });

  it('refuses a body nested too deeply to store, without a 500', async () => {
    const deep = `{"body":${'['.repeat(200_000)}${']'.repeat(200_000)}}`;
    const answer = await post(path, deep);
    expect([400, 413]).toContain(answer.status);
    expect(engine.calls).toEqual([]);
  });
});

describe('POST /v1/queues/{queue}/messages/batch: faults of the request as a whole', () => {
  const path = '/v1/queues/q/messages/batch';
  const cases: Case[] = [
    ['messages', {}],
    ['messages', { messages: [] }],
    ['messages', { messages: Array.from({ length: 26 }, () => ({ body: 1 })) }],
    ['messages', { messages: { body: 1 } }],
    ['messages', { messages: null }],
    ['extra', { messages: [{ body: 1 }], extra: true }],
    ['waitSeconds', { messages: [{ body: 1 }], waitSeconds: 1 }],
  ];
  it.each(cases)('refuses %s', async (field, body) => {
    expectInvalid(await post(path, body), field);
    expect(engine.calls).toEqual([]);
  });

  it('refuses a request over 1 MiB as a whole', async () => {
    const entry = { body: 'x'.repeat(100_000) };
    expectError(
      await post(path, { messages: Array.from({ length: 11 }, () => entry) }),
      413,
      'PayloadTooLarge',
    );
    expect(engine.calls).toEqual([]);
  });
});

describe('POST /v1/queues/{queue}/receive', () => {
  const cases: Case[] = [
    ...wrongIntegers('maxMessages', 1, 10),
    ...wrongIntegers('waitSeconds', 0, 20),
    ...wrongIntegers('visibilityTimeoutSeconds', 0, 43_200),
    ['ack', { ack: 'AUTO' }],
    ['ack', { ack: true }],
    ['ack', { ack: null }],
  ];
  it.each(cases)('refuses a bad %s', async (field, body) => {
    expectInvalid(await post('/v1/queues/q/receive', body), field);
    expect(engine.calls).toEqual([]);
  });
});

describe('ack, release, extend', () => {
  const cases: [string, string, unknown][] = [
    ['ack', 'receipt', {}],
    ['ack', 'receipt', { receipt: 5 }],
    ['ack', 'receipt', { receipt: null }],
    ['ack', 'receipt', { receipt: ['r'] }],
    ['ack', 'receipts', { receipts: [] }],
    ['ack', 'receipts', { receipts: 'r' }],
    ['ack', 'receipts', { receipts: null }],
    ['ack', 'receipts', { receipts: Array.from({ length: 101 }, (_, i) => `r${i}`) }],
    ['ack', 'receipts[1]', { receipts: ['r', 5] }],
    ['ack', 'receipt', { receipt: 'r', receipts: ['r'] }],
    ['release', 'receipt', {}],
    ['release', 'receipt', { receipt: 1 }],
    ['release', 'receipt', { delaySeconds: 1 }],
    ...wrongIntegers('delaySeconds', 0, 43_200, { receipt: 'r' }).map(
      ([field, body]): [string, string, unknown] => ['release', field, body],
    ),
    ['extend', 'visibilityTimeoutSeconds', { receipt: 'r' }],
    ['extend', 'receipt', { visibilityTimeoutSeconds: 1 }],
    ['extend', 'receipt', { receipt: {}, visibilityTimeoutSeconds: 1 }],
    ...wrongIntegers('visibilityTimeoutSeconds', 0, 43_200, { receipt: 'r' }).map(
      ([field, body]): [string, string, unknown] => ['extend', field, body],
    ),
  ];
  it.each(cases)('%s refuses a bad %s', async (route, field, body) => {
    expectInvalid(await post(`/v1/queues/q/${route}`, body), field);
    expect(engine.calls).toEqual([]);
  });
});

describe('query parameters', () => {
  const cases: [string, string][] = [
    ['/v1/queues?limit=0', 'limit'],
    ['/v1/queues?limit=101', 'limit'],
    ['/v1/queues?limit=1.5', 'limit'],
    ['/v1/queues?limit=abc', 'limit'],
    ['/v1/queues?limit=', 'limit'],
    ['/v1/queues?limit=-1', 'limit'],
    ['/v1/queues?limit=%201', 'limit'],
    ['/v1/queues?limit=1e2', 'limit'],
    ['/v1/queues?cursor=', 'cursor'],
    ['/v1/queues?limit=5&limit=6', 'limit'],
    ['/v1/queues?Limit=5', 'Limit'],
    ['/v1/queues?state=ready', 'state'],
    ['/v1/queues/q/messages?state=READY', 'state'],
    ['/v1/queues/q/messages?state=gone', 'state'],
    ['/v1/queues/q/messages?state=', 'state'],
    ['/v1/queues/q/messages?limit=0', 'limit'],
    ['/v1/queues/q/messages?limit=101', 'limit'],
    ['/v1/queues/q/messages?page=2', 'page'],
    ['/v1/queues/q?verbose=1', 'verbose'],
    ['/v1/queues/q/messages/abc?x=1', 'x'],
    ['/v1/health?x', 'x'],
  ];
  it.each(cases)('GET %s is refused, naming %s', async (path, field) => {
    expectInvalid(await send(app, 'GET', path), field);
    expect(engine.calls).toEqual([]);
  });

  it('refuses query parameters on routes that take none', async () => {
    for (const { method, path, body } of ROUTES) {
      if (['/v1/queues', '/v1/topics', '/v1/queues/q/messages'].includes(path)) continue;
      expectInvalid(await send(app, method, `${path}?unexpected=1`, body), 'unexpected');
    }
    expect(engine.calls).toEqual([]);
  });
});

async function toAnswer(response: Response): Promise<Answer> {
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: JSON.parse(text) };
}
