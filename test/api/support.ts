/** Helpers for the HTTP app's tests: requests through `app.request`, and engines to put behind it. */
import type { Hono } from 'hono';
import { expect } from 'vitest';
import type { Engine } from '../../functions/core/engine';

export const NOW = Date.parse('2026-11-25T12:00:00.000Z');
export const TOKEN = 'test-token-0123456789';
export const AUTH = { Authorization: `Bearer ${TOKEN}` };

export interface EngineCall {
  method: string;
  args: unknown[];
}

/**
 * An engine whose every method throws (a plain Error: a 500 if it is ever reached), recording
 * each call, so a test can assert that bad input never got as far as the engine.
 */
export function throwingEngine(): Engine & { calls: EngineCall[] } {
  const calls: EngineCall[] = [];
  return new Proxy({ calls } as Engine & { calls: EngineCall[] }, {
    get(target, property) {
      if (property === 'calls') return target.calls;
      if (property === 'then') return undefined;
      return async (...args: unknown[]) => {
        calls.push({ method: String(property), args });
        throw new Error(`engine.${String(property)} must not be called`);
      };
    },
  });
}

/**
 * An engine with chosen answers: each method given in `methods` is used (and recorded); any
 * other throws like throwingEngine's.
 */
export function stubEngine(methods: Partial<Engine>): Engine & { calls: EngineCall[] } {
  const fallback = throwingEngine();
  return new Proxy(fallback, {
    get(target, property) {
      const method = methods[property as keyof Engine] as ((...args: unknown[]) => unknown) | undefined;
      if (!method) return Reflect.get(target, property);
      return async (...args: unknown[]) => {
        target.calls.push({ method: String(property), args });
        return method(...args);
      };
    },
  });
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field in the tests
  json: any;
}

/** Sends a request; `body` may be an object (sent as JSON) or a raw string. */
export async function send(
  app: Hono,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const init: RequestInit = { method, headers };
  // Fetch's Request refuses a body on GET and HEAD.
  if (body !== undefined && method !== 'GET' && method !== 'HEAD')
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const response = await app.request(path, init);
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** The contract's error answer: status, code, and a message for a person. */
export function expectError(answer: Answer, status: number, code: string, messageIncludes?: string): void {
  expect({ status: answer.status, code: answer.json?.error?.code }).toEqual({ status, code });
  expect(Object.keys(answer.json)).toEqual(['error']);
  expect(Object.keys(answer.json.error).sort()).toEqual(['code', 'message']);
  expect(typeof answer.json.error.message).toBe('string');
  expect(answer.json.error.message.length).toBeGreaterThan(0);
  if (messageIncludes !== undefined) expect(answer.json.error.message).toContain(messageIncludes);
  expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
}

/** Every route of the contract, with a valid body where it takes one. */
export const ROUTES: { method: string; path: string; body?: unknown }[] = [
  { method: 'PUT', path: '/v1/queues/q', body: {} },
  { method: 'GET', path: '/v1/queues/q' },
  { method: 'GET', path: '/v1/queues' },
  { method: 'DELETE', path: '/v1/queues/q' },
  { method: 'POST', path: '/v1/queues/q/purge', body: {} },
  { method: 'POST', path: '/v1/queues/q/pause', body: {} },
  { method: 'POST', path: '/v1/queues/q/resume', body: {} },
  { method: 'POST', path: '/v1/queues/q/messages', body: { body: 'hi' } },
  { method: 'POST', path: '/v1/queues/q/messages/batch', body: { messages: [{ body: 1 }] } },
  { method: 'GET', path: '/v1/queues/q/messages' },
  { method: 'GET', path: '/v1/queues/q/messages/abc' },
  { method: 'PATCH', path: '/v1/queues/q/messages/abc', body: { priority: 1 } },
  { method: 'DELETE', path: '/v1/queues/q/messages/abc' },
  { method: 'POST', path: '/v1/queues/q/receive', body: {} },
  { method: 'POST', path: '/v1/queues/q/ack', body: { receipt: 'r' } },
  { method: 'POST', path: '/v1/queues/q/release', body: { receipt: 'r' } },
  { method: 'POST', path: '/v1/queues/q/extend', body: { receipt: 'r', visibilityTimeoutSeconds: 5 } },
  { method: 'POST', path: '/v1/queues/q/redrive', body: {} },
  { method: 'POST', path: '/v1/queues/q/messages/abc/redrive', body: {} },
  { method: 'GET', path: '/v1/queues/q/rates' },
  { method: 'GET', path: '/v1/consumers' },
  { method: 'PUT', path: '/v1/topics/t', body: { subscriptions: [{ queue: 'q' }] } },
  { method: 'GET', path: '/v1/topics/t' },
  { method: 'GET', path: '/v1/topics' },
  { method: 'DELETE', path: '/v1/topics/t' },
  { method: 'POST', path: '/v1/topics/t/messages', body: { body: 'hi' } },
  { method: 'GET', path: '/v1/health' },
  { method: 'GET', path: '/v1/openapi.json' },
];

/** The arguments of the engine's `index`-th call (failing the test when there was none). */
export function argsOf(engine: { calls: EngineCall[] }, index: number): unknown[] {
  const call = engine.calls[index];
  if (!call) throw new Error(`expected an engine call #${index}; there were ${engine.calls.length}`);
  return call.args;
}
