/**
 * The app on the real engine on DynamoDB Local (a fresh table per test file), with a clock the
 * test moves, and the few requests every integration test makes.
 */
import type { Hono } from 'hono';
import { expect } from 'vitest';
import { createApp } from '../../functions/api/app';
import { DeliveredMessageSchema } from '../../functions/api/schemas';
import { type ManualClock, manualClock, queueName, testEngine } from '../support/engine';
import { type Answer, send } from './support';

export interface Harness {
  app: Hono;
  clock: ManualClock;
  /** Creates a queue (201) and answers its name, a fresh one unless given. */
  createQueue(body?: object, name?: string): Promise<string>;
  publish(queue: string, body: object): Promise<Answer>;
  /** Receives (200), checking every delivery against the documented schema. */
  receive(queue: string, body?: object): Promise<Answer>;
  /** The queue's counts, from GET /v1/queues/{queue}. */
  counts(queue: string): Promise<{ ready: number; delayed: number; inFlight: number; total: number }>;
}

export const iso = (ms: number) => new Date(ms).toISOString();

export async function harness(): Promise<Harness> {
  const clock = manualClock();
  const { engine } = await testEngine(clock);
  const app = createApp({ engine, clock });
  return {
    app,
    clock,
    async createQueue(body = {}, name = queueName()) {
      const answer = await send(app, 'PUT', `/v1/queues/${name}`, body);
      expect(answer.status, answer.text).toBe(201);
      return name;
    },
    publish: (queue, body) => send(app, 'POST', `/v1/queues/${queue}/messages`, body),
    async receive(queue, body = {}) {
      const answer = await send(app, 'POST', `/v1/queues/${queue}/receive`, body);
      expect(answer.status, answer.text).toBe(200);
      for (const message of answer.json.messages) DeliveredMessageSchema.parse(message);
      return answer;
    },
    async counts(queue) {
      const answer = await send(app, 'GET', `/v1/queues/${queue}`);
      expect(answer.status, answer.text).toBe(200);
      return answer.json.counts;
    },
  };
}
