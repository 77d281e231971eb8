/**
 * Auth, routing and the order of checks: auth (401), route (404, 405 with Allow), names in the
 * path (400), query and body (400/413), and only then the engine.
 */
import { describe, expect, it } from 'vitest';
import { createApp } from '../../functions/api/app';
import { AUTH, expectError, ROUTES, send, stubEngine, TOKEN, throwingEngine } from './support';

describe('authentication (local token)', () => {
  it('refuses every route without the token, before routing', async () => {
    const engine = throwingEngine();
    const app = createApp({ engine, token: TOKEN });
    for (const { method, path, body } of ROUTES.filter((route) => route.path !== '/v1/health')) {
      const answer = await send(app, method, path, body);
      expectError(answer, 401, 'Unauthorized');
      expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    expect(engine.calls).toEqual([]);
  });

  it('answers 401 before 404 and 405', async () => {
    const app = createApp({ engine: throwingEngine(), token: TOKEN });
    expectError(await send(app, 'GET', '/nowhere'), 401, 'Unauthorized');
    expectError(await send(app, 'GET', '/ui/index.html'), 401, 'Unauthorized');
    expectError(await send(app, 'PATCH', '/v1/queues'), 401, 'Unauthorized');
    expectError(await send(app, 'POST', '/v1/health'), 401, 'Unauthorized');
  });

  it('refuses a wrong token, another scheme, and a token of another length', async () => {
    const app = createApp({ engine: throwingEngine(), token: TOKEN });
    for (const header of [
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(0, -1)}`,
      'Bearer ',
      `Basic ${TOKEN}`,
      TOKEN,
      `Bearer ${TOKEN.toUpperCase()}`,
    ]) {
      expectError(
        await send(app, 'GET', '/v1/queues', undefined, { Authorization: header }),
        401,
        'Unauthorized',
      );
    }
  });

  it('accepts the token with the scheme in any case', async () => {
    const engine = stubEngine({ listQueues: async () => ({ items: [], cursor: null }) });
    const app = createApp({ engine, token: TOKEN });
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      const answer = await send(app, 'GET', '/v1/queues', undefined, { Authorization: `${scheme} ${TOKEN}` });
      expect(answer.status).toBe(200);
    }
  });

  it('never asks for the token on GET /v1/health, whatever is sent', async () => {
    const engine = stubEngine({ health: async () => {} });
    const app = createApp({ engine, token: TOKEN });
    for (const headers of [{}, AUTH, { Authorization: 'Bearer wrong' }, { Authorization: 'garbage' }]) {
      const answer = await send(app, 'GET', '/v1/health', undefined, headers);
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({ status: 'ok' });
    }
    expect((await app.request('/v1/health', { method: 'HEAD' })).status).toBe(200);
  });

  it('needs no token when none is configured (deployed: IAM is checked by API Gateway)', async () => {
    const engine = stubEngine({ listQueues: async () => ({ items: [], cursor: null }) });
    for (const token of [undefined, '']) {
      const app = createApp({ engine, token });
      expect((await send(app, 'GET', '/v1/queues')).status).toBe(200);
    }
  });
});

describe('routing', () => {
  const app = createApp({ engine: throwingEngine() });

  it('answers 404 NotFound for unknown paths, inside and outside /v1', async () => {
    for (const path of [
      '/',
      '/v1',
      '/v1/',
      '/v2/queues',
      '/ui/',
      '/v1/queues/',
      '/v1/queues/q/',
      '/v1/queues/q/nothing',
      '/v1/queues/q/messages/id/more',
      '/v1/queues//messages',
      '/V1/queues',
      '/v1/Queues',
      '/v1/health/',
    ]) {
      expectError(await send(app, 'GET', path), 404, 'NotFound');
    }
  });

  it('routes topics, redrive and reschedule, and answers 404 around them', async () => {
    for (const path of ['/v1/topics/', '/v1/topics/t/', '/v1/topics/t/nothing', '/v1/topics/t/messages/x']) {
      expectError(await send(app, 'GET', path), 404, 'NotFound');
    }
    expectError(await send(app, 'POST', '/v1/queues/q/redrive/x', {}), 404, 'NotFound');
  });

  it('answers 405 MethodNotAllowed with an Allow header on a known path', async () => {
    const cases: [string, string, string][] = [
      ['POST', '/v1/queues', 'GET, HEAD'],
      ['PATCH', '/v1/queues/q', 'GET, HEAD, PUT, DELETE'],
      ['POST', '/v1/queues/q', 'GET, HEAD, PUT, DELETE'],
      ['GET', '/v1/queues/q/receive', 'POST'],
      ['PUT', '/v1/queues/q/ack', 'POST'],
      ['DELETE', '/v1/queues/q/purge', 'POST'],
      ['GET', '/v1/queues/q/release', 'POST'],
      ['GET', '/v1/queues/q/extend', 'POST'],
      ['DELETE', '/v1/queues/q/messages', 'GET, HEAD, POST'],
      ['OPTIONS', '/v1/queues/q/messages', 'GET, HEAD, POST'],
      // `batch` is never a message id: the literal path wins over /messages/{id}.
      ['GET', '/v1/queues/q/messages/batch', 'POST'],
      ['DELETE', '/v1/queues/q/messages/batch', 'POST'],
      ['POST', '/v1/queues/q/messages/abc', 'GET, HEAD, PATCH, DELETE'],
      ['PUT', '/v1/queues/q/messages/abc', 'GET, HEAD, PATCH, DELETE'],
      ['GET', '/v1/queues/q/redrive', 'POST'],
      ['PUT', '/v1/topics', 'GET, HEAD'],
      ['POST', '/v1/topics/t', 'GET, HEAD, PUT, DELETE'],
      ['PATCH', '/v1/topics/t', 'GET, HEAD, PUT, DELETE'],
      ['GET', '/v1/topics/t/messages', 'POST'],
      ['DELETE', '/v1/topics/t/messages', 'POST'],
      ['POST', '/v1/health', 'GET, HEAD'],
      ['DELETE', '/v1/openapi.json', 'GET, HEAD'],
    ];
    for (const [method, path, allow] of cases) {
      const answer = await send(app, method, path, '{}');
      expectError(answer, 405, 'MethodNotAllowed');
      expect(answer.headers.get('allow')).toBe(allow);
    }
  });

  it('answers 405 before checking names in the path', async () => {
    const answer = await send(app, 'PATCH', '/v1/queues/bad!name');
    expectError(answer, 405, 'MethodNotAllowed');
  });
});

describe('order of checks', () => {
  it('checks names in the path before the body', async () => {
    const engine = throwingEngine();
    const app = createApp({ engine });
    expectError(await send(app, 'PUT', '/v1/queues/bad.name', '{not json'), 400, 'ValidationError', 'queue');
    expectError(await send(app, 'POST', '/v1/queues/bad.name/messages', ''), 400, 'ValidationError', 'queue');
    expectError(
      await send(app, 'POST', '/v1/queues/bad.name/messages', 'x'.repeat(1_048_577)),
      400,
      'ValidationError',
    );
    expect(engine.calls).toEqual([]);
  });

  it('checks the query and the body before the engine', async () => {
    const engine = throwingEngine();
    const app = createApp({ engine });
    expectError(await send(app, 'GET', '/v1/queues?limit=0'), 400, 'ValidationError', 'limit');
    expectError(await send(app, 'POST', '/v1/queues/q/receive', { maxMessages: 11 }), 400, 'ValidationError');
    expect(engine.calls).toEqual([]);
  });

  it('reaches the engine last: its QueueNotFound comes after valid input', async () => {
    const { QueueNotFoundError } = await import('../../functions/core/errors');
    const engine = stubEngine({
      receive: async (queue) => {
        throw new QueueNotFoundError(queue);
      },
    });
    const app = createApp({ engine });
    expectError(await send(app, 'POST', '/v1/queues/nope/receive', ''), 404, 'QueueNotFound', 'nope');
    expectError(await send(app, 'POST', '/v1/queues/nope/receive', { ack: 'never' }), 400, 'ValidationError');
  });
});
