/**
 * The DynamoDB clients' retry strategy (functions/core/retry-strategy.ts) against a stand-in for
 * DynamoDB on 127.0.0.1 that throttles as a hot partition does: the exact requests are counted.
 * The SDK's own standard strategy runs beside it, to show what it changes.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { StandardRetryStrategy } from '@smithy/core/retry';
import type { RetryStrategyV2 } from '@smithy/types';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { PartitionThrottleRetryStrategy } from '../../functions/core/retry-strategy';

/** How the stand-in answers the n-th attempt (1-based) at one key. */
type Answer = 'throttle' | 'server-error' | 'condition' | 'ok';

let server: Server;
let endpoint: string;
let answer: (attempt: number) => Answer = () => 'ok';
const attempts = new Map<string, number>();

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const key = (JSON.parse(body) as { Key: { pk: { S: string } } }).Key.pk.S;
      const attempt = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, attempt);
      const send = (status: number, payload: object) => {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(JSON.stringify(payload));
      };
      const errorOf = (type: string) => ({
        __type: `com.amazonaws.dynamodb.v20120810#${type}`,
        message: type,
      });
      switch (answer(attempt)) {
        case 'throttle':
          return send(400, errorOf('ProvisionedThroughputExceededException'));
        case 'server-error':
          return send(500, errorOf('InternalServerError'));
        case 'condition':
          return send(400, errorOf('ConditionalCheckFailedException'));
        default:
          // Successes answer late, so that every first attempt of a burst has been refused (and
          // its retry decided) before any success refills a quota.
          setTimeout(() => send(200, {}), 150);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

afterEach(() => {
  attempts.clear();
  vi.restoreAllMocks();
});

const clientWith = (retryStrategy: RetryStrategyV2) =>
  new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    retryStrategy,
  });

/** `count` GetItems at once, each at its own key: how many succeeded. */
async function burst(client: DynamoDBClient, count: number): Promise<number> {
  const outcomes = await Promise.allSettled(
    Array.from({ length: count }, (_, i) =>
      client.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: `k${i}` } } })),
    ),
  );
  return outcomes.filter((outcome) => outcome.status === 'fulfilled').length;
}

const noWait = { sleep: async () => undefined, random: () => 0 };

describe('PartitionThrottleRetryStrategy', () => {
  it('retries every throttled request of a burst, where the standard quota runs out after 100', async () => {
    answer = (attempt) => (attempt === 1 ? 'throttle' : 'ok');
    // The SDK's backoff draws Math.random: 0 makes its waits 0 too, so only the quota differs.
    vi.spyOn(Math, 'random').mockReturnValue(0);

    const standard = clientWith(new StandardRetryStrategy(3));
    expect(await burst(standard, 150)).toBe(100); // 500 tokens, 5 a throttling retry
    expect([...attempts.values()].filter((n) => n === 2)).toHaveLength(100);
    attempts.clear();

    const ours = clientWith(new PartitionThrottleRetryStrategy(noWait));
    expect(await burst(ours, 150)).toBe(150);
    expect([...attempts.values()].every((n) => n === 2)).toBe(true);
  });

  it('stops a throttled request after maxAttempts, backing off from 1 s doubling', async () => {
    answer = () => 'throttle';
    const waits: number[] = [];
    const client = clientWith(
      new PartitionThrottleRetryStrategy({
        maxAttempts: 3,
        sleep: async (ms) => {
          waits.push(ms);
        },
        random: () => 0.5,
      }),
    );
    await expect(
      client.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'hot' } } })),
    ).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
    expect(attempts.get('hot')).toBe(3);
    expect(waits).toEqual([500, 1_000]);
  });

  it('leaves other errors to the standard strategy: 5xx retried from the quota, client errors never', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const client = clientWith(new PartitionThrottleRetryStrategy(noWait));

    answer = () => 'condition';
    await expect(
      client.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'c' } } })),
    ).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    expect(attempts.get('c')).toBe(1);

    // 14 tokens a transient retry (the SDK's 2026 costs): 500 tokens retry 35 of a burst of 50.
    answer = (attempt) => (attempt === 1 ? 'server-error' : 'ok');
    const succeeded = await burst(client, 50);
    expect(succeeded).toBeLessThan(50);
    expect([...attempts.values()].filter((n) => n === 2)).toHaveLength(succeeded);
  });
});
