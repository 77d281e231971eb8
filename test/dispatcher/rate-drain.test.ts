/**
 * The deployed dispatcher and a queue's rateLimit, against DynamoDB Local with a simulated clock
 * (it moves only when the dispatcher sleeps, or a handler takes its time): a drain invocation
 * delivers a backlog at the rate, waiting for each batch's tokens, and hands the queue over
 * (an asynchronous Invoke of itself) when its rate budget or its time ends first. Only Lambda
 * Invoke is mocked; its exact requests are asserted.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { DynamoDBRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamoEngine } from '../../functions/core/dynamo-engine';
import { readyKey } from '../../functions/core/keys';
import { Store } from '../../functions/core/store';
import type { RateLimit } from '../../functions/core/types';
import { toConsumer } from '../../functions/dispatcher/consumer';
import { Dispatcher, RATE_DRAIN_MS } from '../../functions/dispatcher/dispatcher';
import { lambdaHandOver, lambdaInvoker } from '../../functions/dispatcher/invoke-lambda';
import { route } from '../../functions/dispatcher/lambda';
import { Wakes } from '../../functions/dispatcher/schedules';
import { memoryTelemetry } from '../../functions/dispatcher/telemetry';
import { freshTable } from '../support/dynamo';
import { queueName } from '../support/engine';

const lambdaMock = mockClient(LambdaClient);
const DISPATCHER_NAME = 'postbox-dispatcher';
const DISPATCHER = `arn:aws:lambda:eu-west-1:123456789012:function:${DISPATCHER_NAME}`;
const CONSUMER = 'arn:aws:lambda:eu-west-1:123456789012:function:orders-worker';
/** What a handler's batch takes, in simulated time: tokens come due meanwhile. */
const HANDLER_MS = 137;
const decode = (bytes: unknown) => JSON.parse(new TextDecoder().decode(bytes as Uint8Array));

let now = Date.now();
const clock = () => now;
let client: ConstructorParameters<typeof DynamoEngine>[0]['client'];
let tableName: string;

beforeAll(async () => {
  ({ client, tableName } = await freshTable());
});

/** Every consumer invocation of the test, in simulated time (the Lambda mock is one for all). */
let deliveries: { at: number; messages: number }[] = [];

afterEach(() => {
  lambdaMock.reset();
  deliveries = [];
});

/** An invocation of `timeoutMs` starting now, in simulated time. */
function invocationOf(timeoutMs: number) {
  const ends = now + timeoutMs;
  return { remainingMs: () => ends - now };
}

/** A dispatcher on its own engine (its own process: its own bucket state), and what it did. */
function dispatcherFor(
  queue: string,
  options: { batchSize: number },
  sleep: (ms: number) => Promise<void> = async (ms) => {
    now += ms;
  },
) {
  const engine = new DynamoEngine({ client, tableName, clock });
  const { telemetry, logs, metrics } = memoryTelemetry();
  const sleeps: number[] = [];
  lambdaMock.on(InvokeCommand, { InvocationType: 'RequestResponse' }).callsFake(async (input) => {
    deliveries.push({ at: now, messages: decode(input.Payload).Records.length });
    now += HANDLER_MS;
    return { StatusCode: 200 };
  });
  lambdaMock.on(InvokeCommand, { InvocationType: 'Event' }).resolves({ StatusCode: 202 });
  const lambda = new LambdaClient({ region: 'eu-west-1' });
  const dispatcher = new Dispatcher({
    engine,
    store: new Store(client, tableName),
    consumers: [toConsumer(queue, CONSUMER, { visibilityTimeoutSeconds: 30, ...options })],
    invoke: lambdaInvoker(lambda),
    handOver: lambdaHandOver(lambda, DISPATCHER_NAME),
    wakes: new Wakes(new SchedulerClient({ region: 'eu-west-1' }), lambda, {
      group: 'postbox-group',
      roleArn: 'arn:aws:iam::123456789012:role/scheduler',
      dispatcherArn: DISPATCHER,
    }),
    source: { region: 'eu-west-1', account: '123456789012' },
    telemetry,
    clock,
    sleep: (ms) => {
      sleeps.push(ms);
      return sleep(ms);
    },
  });
  return { dispatcher, engine, telemetry, logs, metrics, sleeps };
}

async function rateLimitedBacklog(rateLimit: RateLimit, count: number): Promise<string> {
  const queue = queueName('rate');
  const engine = new DynamoEngine({ client, tableName, clock });
  await engine.putQueue(queue, { rateLimit });
  for (let from = 0; from < count; from += 10) {
    await engine.publishBatch(
      queue,
      Array.from({ length: Math.min(10, count - from) }, (_, n) => ({ body: from + n })),
    );
  }
  return queue;
}

const handOvers = () =>
  lambdaMock
    .commandCalls(InvokeCommand)
    .filter((call) => call.args[0].input.InvocationType === 'Event')
    .map((call) => call.args[0].input);

const delivered = (deliveries: { messages: number }[]) =>
  deliveries.reduce((sum, delivery) => sum + delivery.messages, 0);

function streamRecord(queue: string): DynamoDBRecord {
  return {
    eventName: 'INSERT',
    dynamodb: { NewImage: { apk: { S: `Q#${queue}#1` }, ask: { S: readyKey('9000000000000001') } } },
  };
}

describe('a rate-limited queue and the dispatcher', () => {
  it('delivers a backlog at its rate within one drain invocation, in full batches, then stops', async () => {
    const perSecond = 4;
    const queue = await rateLimitedBacklog({ perSecond }, 120);
    const { dispatcher, telemetry, metrics } = dispatcherFor(queue, { batchSize: 4 });
    const started = now;

    await route({ postbox: 'drain', queue }, dispatcher, invocationOf(900_000), telemetry);

    expect(delivered(deliveries)).toBe(120);
    expect(deliveries.every((delivery) => delivery.messages === 4)).toBe(true);
    // The first batch is the burst (a full bucket); the rest came at the rate.
    const first = deliveries[0]?.at as number;
    const last = deliveries.at(-1)?.at as number;
    const rate = ((120 - 4) / (last - first)) * 1000;
    expect(rate).toBeGreaterThanOrEqual(perSecond * 0.9);
    expect(rate).toBeLessThanOrEqual(perSecond * 1.1);
    // Never over the rate in any 10 s: at most a burst more than 10 s' worth.
    for (const { at } of deliveries) {
      const window = deliveries.filter((delivery) => delivery.at >= at && delivery.at < at + 10_000);
      expect(delivered(window)).toBeLessThanOrEqual(perSecond * 10 + 4);
    }
    expect(first - started).toBeLessThan(1_000);
    // The backlog is gone: nothing is handed over.
    expect(handOvers()).toEqual([]);
    expect(metrics.filter((metric) => metric.name === 'RateHandOvers')).toEqual([]);
    expect((await dispatcherFor(queue, { batchSize: 4 }).engine.getQueue(queue)).counts.total).toBe(0);
  }, 60_000);

  it('hands the queue over after RATE_DRAIN_MS while the backlog is still held back by the rate', async () => {
    // A batch of 5 every 10 s: 30 in the 5 minutes, 150 of the 200 messages.
    const queue = await rateLimitedBacklog({ perSecond: 0.5, burst: 5 }, 200);
    const { dispatcher, telemetry, metrics } = dispatcherFor(queue, { batchSize: 5 });
    const started = now;

    await route({ postbox: 'drain', queue }, dispatcher, invocationOf(900_000), telemetry);

    expect(now - started).toBeLessThanOrEqual(RATE_DRAIN_MS + HANDLER_MS);
    expect(delivered(deliveries)).toBeGreaterThanOrEqual(145);
    expect(delivered(deliveries)).toBeLessThanOrEqual(155);
    expect(handOvers()).toHaveLength(1);
    const [request] = handOvers();
    expect({ ...request, Payload: decode(request?.Payload) }).toEqual({
      FunctionName: DISPATCHER_NAME,
      InvocationType: 'Event',
      Payload: { postbox: 'drain', queue },
    });
    expect(metrics).toEqual(expect.arrayContaining([{ name: 'RateHandOvers', value: 1 }]));

    // The next link of the chain goes on at the rate, and ends the chain with the backlog.
    lambdaMock.resetHistory();
    const next = dispatcherFor(queue, { batchSize: 5 });
    await route({ postbox: 'drain', queue }, next.dispatcher, invocationOf(900_000), next.telemetry);
    expect(delivered(deliveries)).toBe(200);
    expect(handOvers()).toEqual([]);
  }, 60_000);

  it('hands over when the invocation runs short of time before its rate budget', async () => {
    const queue = await rateLimitedBacklog({ perSecond: 1, burst: 2 }, 40);
    const { dispatcher } = dispatcherFor(queue, { batchSize: 2 });
    // 30 s lease + 5 s reserve: 10 s of this invocation are left to wait in.
    await dispatcher.onDrain(queue, invocationOf(45_000));

    expect(delivered(deliveries)).toBeGreaterThanOrEqual(10);
    expect(delivered(deliveries)).toBeLessThanOrEqual(14);
    expect(handOvers().map((request) => decode(request.Payload))).toEqual([{ postbox: 'drain', queue }]);
  }, 60_000);

  it('a stream invocation does not wait for tokens: it hands over at once', async () => {
    const queue = await rateLimitedBacklog({ perSecond: 2, burst: 2 }, 10);
    const { dispatcher, sleeps } = dispatcherFor(queue, { batchSize: 2 });

    await dispatcher.onStream([streamRecord(queue)], invocationOf(900_000));

    // The burst, then an empty bucket: handed over, no sleep.
    expect(delivered(deliveries)).toBe(2);
    expect(sleeps).toEqual([]);
    expect(handOvers().map((request) => decode(request.Payload))).toEqual([{ postbox: 'drain', queue }]);
  }, 30_000);

  it('leaves a rate slower than a batch per RATE_DRAIN_MS to the sweep: nothing is handed over', async () => {
    const queue = await rateLimitedBacklog({ perSecond: 1 / 600, burst: 1 }, 3);
    const { dispatcher, sleeps } = dispatcherFor(queue, { batchSize: 1 });

    await dispatcher.onStream([streamRecord(queue)], invocationOf(900_000));
    await dispatcher.onDrain(queue, invocationOf(900_000));

    expect(delivered(deliveries)).toBe(1);
    expect(sleeps).toEqual([]);
    expect(handOvers()).toEqual([]);
  }, 30_000);

  it('a drain invocation that delivers nothing hands nothing over (no chain spins)', async () => {
    const queue = await rateLimitedBacklog({ perSecond: 0.5, burst: 1 }, 3);
    // Another process takes the token; this invocation has time for a batch, not for a wait too.
    const elsewhere = new DynamoEngine({ client, tableName, clock });
    expect(await elsewhere.receive(queue, { maxMessages: 1 })).toHaveLength(1);
    const { dispatcher, sleeps } = dispatcherFor(queue, { batchSize: 1 });

    await dispatcher.onDrain(queue, invocationOf(36_000));

    expect(deliveries).toEqual([]);
    expect(sleeps).toEqual([]);
    expect(handOvers()).toEqual([]);
  }, 30_000);

  it('a drain that waits holds its slot: another dispatcher is turned away and hands nothing over', async () => {
    const queue = await rateLimitedBacklog({ perSecond: 1, burst: 1 }, 4);
    // The waiting drain's first sleep is held open until the other dispatcher has run.
    let resume: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      resume = resolve;
    });
    let asleep: () => void = () => undefined;
    const sleeping = new Promise<void>((resolve) => {
      asleep = resolve;
    });
    let first = true;
    const gatedSleep = async (ms: number) => {
      if (first) {
        first = false;
        asleep();
        await held;
      }
      now += ms;
    };
    const waiting = dispatcherFor(queue, { batchSize: 1 }, gatedSleep);
    const other = dispatcherFor(queue, { batchSize: 1 });

    const draining = waiting.dispatcher.onDrain(queue, invocationOf(900_000));
    await sleeping;
    const before = delivered(deliveries);
    await other.dispatcher.onStream([streamRecord(queue)], invocationOf(900_000));
    expect(delivered(deliveries)).toBe(before);
    expect(handOvers()).toEqual([]);
    resume();
    await draining;

    expect(delivered(deliveries)).toBe(4);
    expect(handOvers()).toEqual([]);
  }, 30_000);
});
