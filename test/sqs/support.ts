/**
 * The real app on DynamoDB Local behind the real local HTTP server, and an unmodified
 * @aws-sdk/client-sqs pointed at it. The clock is the test's: visibility timeouts and the
 * deduplication window pass when the test says so.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { createApp } from '../../functions/api/app';
import { startServer } from '../../functions/local/server';
import { type ManualClock, manualClock, testEngine } from '../support/engine';

export interface SqsHarness {
  url: string;
  clock: ManualClock;
  sqs: SQSClient;
  engine: Awaited<ReturnType<typeof testEngine>>['engine'];
  /** A /v1 request to the same server. */
  v1(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }>;
  close(): Promise<void>;
}

export function sqsClient(url: string, accessKeyId = 'local'): SQSClient {
  return new SQSClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId, secretAccessKey: 'local' },
  });
}

export async function startSqsHarness(options: { token?: string } = {}): Promise<SqsHarness> {
  const clock = manualClock(Date.now());
  const { engine } = await testEngine(clock);
  const app = createApp({ engine, clock, ...(options.token ? { token: options.token } : {}) });
  const server = await startServer({ fetch: app.fetch, port: 0 });
  const sqs = sqsClient(server.url, options.token ?? 'local');
  return {
    url: server.url,
    clock,
    sqs,
    engine,
    async v1(method, path, body) {
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers: {
          'content-type': 'application/json',
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, json: text ? JSON.parse(text) : undefined };
    },
    async close() {
      sqs.destroy();
      await server.close(100);
    },
  };
}

let counter = 0;
export const sqsQueueName = (prefix = 'sqs') => `${prefix}-${process.pid}-${++counter}`;
