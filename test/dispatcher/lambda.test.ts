/**
 * The deployed dispatcher: stream records, wake-ups and the sweep, against DynamoDB Local, with
 * the Lambda and EventBridge Scheduler clients mocked and their exact requests asserted.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ConflictException, CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import type { DynamoDBRecord, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamoEngine } from '../../functions/core/dynamo-engine';
import { readyKey, timerKey } from '../../functions/core/keys';
import { Store } from '../../functions/core/store';
import { toConsumer } from '../../functions/dispatcher/consumer';
import { Dispatcher } from '../../functions/dispatcher/dispatcher';
import { HandlerFailedError, lambdaInvoker } from '../../functions/dispatcher/invoke-lambda';
import { readEnv, route } from '../../functions/dispatcher/lambda';
import {
  createScheduleParams,
  MINUTE_MS,
  minuteOf,
  tableWakeMarks,
  Wakes,
} from '../../functions/dispatcher/schedules';
import { readStream } from '../../functions/dispatcher/stream';
import { memoryTelemetry } from '../../functions/dispatcher/telemetry';
import { freshTable } from '../support/dynamo';
import { queueName } from '../support/engine';

const lambdaMock = mockClient(LambdaClient);
const schedulerMock = mockClient(SchedulerClient);
const DISPATCHER = 'arn:aws:lambda:eu-west-1:123456789012:function:postbox-dispatcher';
const CONSUMER = 'arn:aws:lambda:eu-west-1:123456789012:function:orders-worker';
const TARGET = {
  group: 'postbox-group',
  roleArn: 'arn:aws:iam::123456789012:role/scheduler',
  dispatcherArn: DISPATCHER,
};
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const decode = (bytes: unknown) => JSON.parse(new TextDecoder().decode(bytes as Uint8Array));

/** The dispatcher's clock runs `offset` ms ahead, so a test can stand just before a minute's end. */
let offset = 0;
const clock = () => Date.now() + offset;
let engine: DynamoEngine;
let store: Store;

beforeAll(async () => {
  const { client, tableName } = await freshTable();
  engine = new DynamoEngine({ client, tableName, clock });
  store = new Store(client, tableName);
});

afterEach(() => {
  lambdaMock.reset();
  schedulerMock.reset();
  offset = 0;
});

function dispatcherFor(queue: string, handlerAnswer: () => object = () => ({ StatusCode: 200 })) {
  const { telemetry, logs, metrics } = memoryTelemetry();
  const invokedAt: number[] = [];
  lambdaMock.on(InvokeCommand, { InvocationType: 'RequestResponse' }).callsFake(async () => {
    invokedAt.push(clock());
    return handlerAnswer();
  });
  lambdaMock.on(InvokeCommand, { InvocationType: 'Event' }).resolves({ StatusCode: 202 });
  const lambda = new LambdaClient({ region: 'eu-west-1' });
  const dispatcher = new Dispatcher({
    engine,
    store,
    consumers: [toConsumer(queue, CONSUMER, { batchSize: 5, visibilityTimeoutSeconds: 30 })],
    invoke: lambdaInvoker(lambda),
    wakes: new Wakes(new SchedulerClient({ region: 'eu-west-1' }), lambda, TARGET),
    source: { region: 'eu-west-1', account: '123456789012' },
    telemetry,
    clock,
    wakePollMs: 100,
  });
  return { dispatcher, logs, metrics, invokedAt };
}

const invocation = { remainingMs: () => 600_000 };
const consumerCalls = () =>
  lambdaMock
    .commandCalls(InvokeCommand)
    .filter((call) => call.args[0].input.InvocationType === 'RequestResponse');

function record(eventName: 'INSERT' | 'MODIFY' | 'REMOVE', apk: string, ask: string): DynamoDBRecord {
  return { eventName, dynamodb: { NewImage: { apk: { S: apk }, ask: { S: ask } } } };
}

describe('readStream', () => {
  it('tells ready messages and due timers from future timers, and ignores everything else', () => {
    const now = Date.parse('2026-11-25T12:00:00.000Z');
    const work = readStream(
      [
        record('INSERT', 'Q#a#1', readyKey('9000000000000001')),
        record('MODIFY', 'Q#b#1', timerKey(now - 1, '9000000000000001')),
        record('INSERT', 'Q#c#1', timerKey(now + 90_000, '9000000000000001')),
        record('REMOVE', 'Q#d#1', readyKey('9000000000000001')),
        record('INSERT', 'C#slots', 'R'),
        { eventName: 'MODIFY', dynamodb: { NewImage: { pk: { S: 'Q#e' } } } },
      ],
      now,
    );
    expect([...work.readyQueues]).toEqual(['a', 'b']);
    expect(work.timers).toEqual([now + 90_000]);
  });
});

describe('wake-up schedules', () => {
  const now = Date.parse('2026-11-25T12:00:20.000Z');

  it('creates one schedule per minute, a minute early, idempotently', async () => {
    schedulerMock
      .on(CreateScheduleCommand)
      .rejectsOnce(new ConflictException({ message: 'exists', Message: 'exists', $metadata: {} }))
      .resolves({});
    const wakes = new Wakes(
      new SchedulerClient({ region: 'eu-west-1' }),
      new LambdaClient({ region: 'eu-west-1' }),
      TARGET,
    );
    const due = Date.parse('2026-11-25T12:05:42.123Z');
    expect(await wakes.arrange([due, due + 1_000, due + 10_000], now)).toEqual({ scheduled: 1, wokenNow: 0 });
    expect(await wakes.arrange([due + 5_000], now)).toEqual({ scheduled: 0, wokenNow: 0 });

    const calls = schedulerMock.commandCalls(CreateScheduleCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      Name: 'postbox-202611251205',
      GroupName: 'postbox-group',
      ScheduleExpression: 'at(2026-11-25T12:04:00)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Description: 'Postbox: messages due in the minute from 2026-11-25T12:05:00.000Z',
      Target: {
        Arn: DISPATCHER,
        RoleArn: TARGET.roleArn,
        Input: '{"postbox":"wake","minute":"2026-11-25T12:05:00.000Z"}',
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 120 },
      },
    });
  });

  it('treats an existing schedule as success', async () => {
    schedulerMock
      .on(CreateScheduleCommand)
      .rejects(new ConflictException({ message: 'exists', Message: 'exists', $metadata: {} }));
    const wakes = new Wakes(
      new SchedulerClient({ region: 'eu-west-1' }),
      new LambdaClient({ region: 'eu-west-1' }),
      TARGET,
    );
    await expect(wakes.arrange([now + 10 * MINUTE_MS], now)).resolves.toEqual({ scheduled: 1, wokenNow: 0 });
  });

  it('wakes a minute that no schedule can reach in time by invoking the dispatcher at once', async () => {
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 202 });
    const wakes = new Wakes(
      new SchedulerClient({ region: 'eu-west-1' }),
      new LambdaClient({ region: 'eu-west-1' }),
      TARGET,
    );
    expect(await wakes.arrange([now + 30_000, now + 75_000], now)).toEqual({ scheduled: 0, wokenNow: 2 });
    expect(schedulerMock.commandCalls(CreateScheduleCommand)).toHaveLength(0);
    const calls = lambdaMock.commandCalls(InvokeCommand).map((call) => call.args[0].input);
    expect(calls.map((input) => ({ ...input, Payload: decode(input.Payload) }))).toEqual([
      {
        FunctionName: DISPATCHER,
        InvocationType: 'Event',
        Payload: { postbox: 'wake', minute: '2026-11-25T12:00:00.000Z' },
      },
      {
        FunctionName: DISPATCHER,
        InvocationType: 'Event',
        Payload: { postbox: 'wake', minute: '2026-11-25T12:01:00.000Z' },
      },
    ]);
  });

  it('arranges a minute once across dispatchers, through a mark in the table', async () => {
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 202 });
    schedulerMock.on(CreateScheduleCommand).resolves({});
    const minute = minuteOf(Date.now()) + 3 * MINUTE_MS + Math.floor(Math.random() * 1e6) * MINUTE_MS;
    const dispatchers = [1, 2, 3].map(
      () =>
        new Wakes(
          new SchedulerClient({ region: 'eu-west-1' }),
          new LambdaClient({ region: 'eu-west-1' }),
          TARGET,
          tableWakeMarks(store),
        ),
    );
    const results = await Promise.all(
      dispatchers.map((wakes) => wakes.arrange([minute + 5_000], Date.now())),
    );
    expect(results.reduce((sum, result) => sum + result.scheduled, 0)).toBe(1);
    expect(schedulerMock.commandCalls(CreateScheduleCommand)).toHaveLength(1);
  });

  it('gives its mark up when the schedule cannot be created, so a retry arranges the minute', async () => {
    schedulerMock.on(CreateScheduleCommand).rejectsOnce(new Error('throttled')).resolves({});
    const minute = minuteOf(Date.now()) + 3 * MINUTE_MS + Math.floor(Math.random() * 1e6) * MINUTE_MS;
    const wakes = () =>
      new Wakes(
        new SchedulerClient({ region: 'eu-west-1' }),
        new LambdaClient({ region: 'eu-west-1' }),
        TARGET,
        tableWakeMarks(store),
      );
    await expect(wakes().arrange([minute], Date.now())).rejects.toThrow('throttled');
    expect(await wakes().arrange([minute], Date.now())).toEqual({ scheduled: 1, wokenNow: 0 });
  });

  it('sets the at() of a schedule in UTC, one minute before the due minute', () => {
    const params = createScheduleParams(Date.parse('2027-01-01T00:00:00.000Z'), TARGET);
    expect(params.ScheduleExpression).toBe('at(2026-12-31T23:59:00)');
    expect(params.Name).toBe('postbox-202701010000');
  });
});

describe('stream records', () => {
  it('invokes the consumer function with the exact request, then acks', async () => {
    const queue = queueName('s');
    await engine.putQueue(queue, {});
    const { id } = await engine.publish(queue, { body: { order: 42 }, attributes: { kind: 'new' } });
    const { dispatcher } = dispatcherFor(queue, () => ({
      StatusCode: 200,
      Payload: encode({ batchItemFailures: [] }),
    }));

    await dispatcher.onStream([record('INSERT', `Q#${queue}#x`, 'R0')], invocation);

    const calls = consumerCalls();
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect(Object.keys(input ?? {}).sort()).toEqual(['FunctionName', 'InvocationType', 'Payload']);
    expect(input?.FunctionName).toBe(CONSUMER);
    const event = decode(input?.Payload) as SQSEvent;
    expect(event.Records).toHaveLength(1);
    expect(event.Records[0]).toMatchObject({
      messageId: id,
      body: '{"order":42}',
      eventSource: 'postbox',
      eventSourceARN: `arn:aws:postbox:eu-west-1:123456789012:${queue}`,
      awsRegion: 'eu-west-1',
      messageAttributes: { kind: { stringValue: 'new', dataType: 'String' } },
    });
    expect((await engine.getQueue(queue)).counts.total).toBe(0);
  });

  it('releases the batch with backoff when the function reports a FunctionError', async () => {
    const queue = queueName('s');
    await engine.putQueue(queue, {});
    await engine.publish(queue, { body: 'x' });
    const { dispatcher, logs, metrics } = dispatcherFor(queue, () => ({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: encode({ errorType: 'Error', errorMessage: 'db down' }),
    }));
    await dispatcher.onStream([record('MODIFY', `Q#${queue}#x`, 'R0')], invocation);

    const [delayed] = (await engine.browse(queue, { state: 'delayed', limit: 10 })).items;
    expect(delayed?.receiveCount).toBe(1);
    expect(metrics).toEqual(
      expect.arrayContaining([
        { name: 'BatchesFailed', value: 1, queue },
        { name: 'MessagesFailed', value: 1, queue },
      ]),
    );
    const batchLog = logs.find((log) => log.message === 'batch');
    expect(batchLog).toMatchObject({
      level: 'error',
      fields: { error: 'HandlerFailedError: Unhandled: Error' },
    });
    expect(JSON.stringify(logs)).not.toContain('"x"');
    expect(JSON.stringify(logs)).not.toContain('db down');
  });

  it('arranges a wake-up for a delayed message instead of invoking anything', async () => {
    const queue = queueName('s');
    await engine.putQueue(queue, {});
    schedulerMock.on(CreateScheduleCommand).resolves({});
    const { dispatcher } = dispatcherFor(queue);
    const due = clock() + 3_600_000;
    await dispatcher.onStream(
      [record('INSERT', `Q#${queue}#x`, timerKey(due, '9000000000000001'))],
      invocation,
    );
    expect(consumerCalls()).toHaveLength(0);
    expect(schedulerMock.commandCalls(CreateScheduleCommand)[0]?.args[0].input.Name).toBe(
      `postbox-${new Date(minuteOf(due)).toISOString().slice(0, 16).replace(/[-:T]/g, '')}`,
    );
  });
});

describe('wake-up', () => {
  it('delivers a timer of the minute at its time, then ends with the minute', async () => {
    // Stand 3 s before the end of a minute; the message is due 1.5 s before its end.
    offset = minuteOf(Date.now()) + MINUTE_MS - 3_000 - Date.now();
    const minute = minuteOf(clock());
    const queue = queueName('w');
    await engine.putQueue(queue, {});
    const due = minute + MINUTE_MS - 1_500;
    await engine.publish(queue, { body: 'later', deliverAt: due });
    const { dispatcher, invokedAt } = dispatcherFor(queue);

    await dispatcher.onWake(minute, invocation);

    expect(invokedAt).toHaveLength(1);
    expect(invokedAt[0]).toBeGreaterThanOrEqual(due);
    expect(clock()).toBeGreaterThanOrEqual(minute + MINUTE_MS - 1);
    expect((await engine.getQueue(queue)).counts.total).toBe(0);
  });

  it('looks at no range at all once the minute is over', async () => {
    offset = 0;
    const queue = queueName('w');
    await engine.putQueue(queue, {});
    const { dispatcher, invokedAt } = dispatcherFor(queue);
    await dispatcher.onWake(minuteOf(clock()) - 5 * MINUTE_MS, invocation);
    expect(invokedAt).toHaveLength(0);
  });
});

describe('sweep', () => {
  it('runs the timed work, drains every consumer and reports the queue metrics', async () => {
    const [queue, dlq] = [queueName('sw'), queueName('dlq')];
    await engine.putQueue(dlq, {});
    await engine.putQueue(queue, { deadLetterQueue: dlq, maxReceiveCount: 1 });
    await engine.publish(dlq, { body: 'dead already' });
    await engine.publish(queue, { body: 'waiting' });
    const { dispatcher, metrics } = dispatcherFor(queue);
    await dispatcher.onSweep(invocation);

    expect(consumerCalls()).toHaveLength(1);
    expect(metrics).toEqual(
      expect.arrayContaining([
        { name: 'MessagesDelivered', value: 1, queue },
        { name: 'ReadyMessages', value: 0, queue },
        { name: 'OldestMessageAgeSeconds', value: 0, queue },
        { name: 'DeadLetterMessages', value: 1, queue },
      ]),
    );
  });
});

describe('sweep: recurring schedules', () => {
  it('publishes due firings in the minute sweep and drains them, with no Scheduler request', async () => {
    const queue = queueName('cron');
    await engine.putQueue(queue, {});
    // The first firing a second from now; the clock then stands two seconds later.
    await engine.putSchedule(queueName('every-minute'), {
      everySeconds: 60,
      start: clock() + 1_000,
      target: { queue },
      message: { body: 'tick' },
    });
    offset = 2_000;
    const { dispatcher, metrics } = dispatcherFor(queue);
    await dispatcher.onSweep(invocation);

    expect(metrics).toEqual(expect.arrayContaining([{ name: 'ScheduledMessages', value: 1 }]));
    expect(consumerCalls()).toHaveLength(1);
    expect(schedulerMock.commandCalls(CreateScheduleCommand)).toHaveLength(0);
  });
});

describe('lambda entry', () => {
  it('routes each kind of event, and reports an unknown one by its keys only', async () => {
    const calls: string[] = [];
    const dispatcher = {
      onStream: async () => void calls.push('stream'),
      onWake: async (minute: number) => void calls.push(`wake ${new Date(minute).toISOString()}`),
      onSweep: async () => void calls.push('sweep'),
      onDrain: async (queue: string) => void calls.push(`drain ${queue}`),
    } as unknown as Dispatcher;
    const { telemetry, logs } = memoryTelemetry();
    await route({ Records: [] }, dispatcher, invocation, telemetry);
    await route({ postbox: 'wake', minute: '2026-11-25T12:05:00.000Z' }, dispatcher, invocation, telemetry);
    await route({ postbox: 'sweep' }, dispatcher, invocation, telemetry);
    await route({ postbox: 'drain', queue: 'orders' }, dispatcher, invocation, telemetry);
    await route({ secret: 'body' } as never, dispatcher, invocation, telemetry);
    expect(calls).toEqual(['stream', 'wake 2026-11-25T12:05:00.000Z', 'sweep', 'drain orders']);
    expect(logs).toEqual([{ level: 'error', message: 'unknown event', fields: { keys: ['secret'] } }]);
  });

  it('reads its environment once, naming every problem', () => {
    expect(() =>
      readEnv({ POSTBOX_CONSUMERS: '[{"queue":"bad name","handler":"x","batchSize":0}]' }),
    ).toThrow(
      /POSTBOX_TABLE is not set.*POSTBOX_SCHEDULE_GROUP.*POSTBOX_SCHEDULER_ROLE_ARN.*queue must match.*batchSize/,
    );
    const env = readEnv({
      POSTBOX_TABLE: 't',
      POSTBOX_SCHEDULE_GROUP: 'g',
      POSTBOX_SCHEDULER_ROLE_ARN: 'r',
      POSTBOX_CONSUMERS: JSON.stringify([{ queue: 'orders', handler: CONSUMER, concurrency: 3 }]),
      AWS_REGION: 'eu-west-1',
      AWS_LAMBDA_FUNCTION_NAME: 'postbox-dispatcher',
    });
    expect(env.functionName).toBe('postbox-dispatcher');
    expect(env.consumers).toEqual([
      { queue: 'orders', handler: CONSUMER, batchSize: 10, concurrency: 3, visibilityTimeoutSeconds: 30 },
    ]);
  });

  it('treats an answer that is not JSON as a failure of the whole batch', async () => {
    lambdaMock
      .on(InvokeCommand)
      .resolves({ StatusCode: 200, Payload: new TextEncoder().encode('not json') as never });
    const invoke = lambdaInvoker(new LambdaClient({ region: 'eu-west-1' }));
    await expect(invoke(toConsumer('q', CONSUMER), { Records: [] })).rejects.toBeInstanceOf(
      HandlerFailedError,
    );
  });
});
