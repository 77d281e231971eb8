/**
 * The deployed dispatcher as Lambda runs it: the bundle `cdk synth` writes, in its own process
 * with the stack's environment, fed what its three triggers send: DynamoDB stream batches (read
 * from DynamoDB Local's own stream of the table and passed through the event source mapping's
 * filter), the sweep rule's input, and the wake-up payload its schedules and self-invocations
 * carry. Lambda Invoke and EventBridge Scheduler are a stub on 127.0.0.1 (aws-stub.ts) whose
 * requests are asserted exactly; messages are published through the bundled api function.
 */

import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoEngine } from '../../functions/core/dynamo-engine';
import { freshTable, testClient } from '../support/dynamo';
import { AwsStub } from './aws-stub';
import { CONSUMED_QUEUE, CONSUMER_OPTIONS, type DeployedStack, deployedStack } from './deployed-stack';
import { ACCOUNT, functionArn, lambdaEnvironment, REGION } from './function-environment';
import { type HttpRequest, httpEvent, readAnswer } from './http-events';
import { LambdaProcess } from './lambda-process';
import { lambdaEvents, TableStream } from './table-stream';

const MINUTE = 60_000;
const minuteOf = (ms: number) => Math.floor(ms / MINUTE) * MINUTE;
const iso = (ms: number) => new Date(ms).toISOString();
/**
 * Far enough ahead that the stream invocation still sees a future timer on a loaded machine
 * (publish, stream read, a cold start), near enough for the first wake-up path: due within 70 s.
 */
const WAKE_DELAY_SECONDS = 15;
/** The consumed queue's dead-letter queue: no consumer; its records must not pass the stream filter. */
const DEAD_LETTERS = `${CONSUMED_QUEUE}-dead`;

/** One deployment of the stack on its own table: its api and dispatcher environments and stream. */
interface Deployment {
  tableName: string;
  engine: DynamoEngine;
  stream: TableStream;
  api: LambdaProcess;
  dispatcher: LambdaProcess;
  env: Record<string, string>;
  /** Its own Lambda and Scheduler stub: the deployments' requests never mix. */
  stub: AwsStub;
}

let stack: DeployedStack;
let dispatcherArn: string;
let consumerArn: string;
/** Consumer path, sweep and schedules. */
let main: Deployment;
/** Wake-ups, on a table of their own: a wake-up drains every consumer queue with due timers. */
let wakes: Deployment;
const started: LambdaProcess[] = [];
const stubs: AwsStub[] = [];

async function deploy(): Promise<Deployment> {
  const { client, tableName } = await freshTable(testClient());
  const stub = await AwsStub.start();
  stubs.push(stub);
  const dynamodb = inject('dynamoEndpoint');
  const endpoints = { dynamodb, aws: stub.url };
  const env = lambdaEnvironment(stack, stack.dispatcher, { tableName, endpoints });
  const [api, dispatcher] = await Promise.all([
    LambdaProcess.start(stack.api, lambdaEnvironment(stack, stack.api, { tableName, endpoints })),
    LambdaProcess.start(stack.dispatcher, env),
  ]);
  started.push(api, dispatcher);
  const stream = await TableStream.open(client, dynamodb, tableName, stack.streamMapping);
  return { tableName, engine: new DynamoEngine({ client, tableName }), stream, api, dispatcher, env, stub };
}

beforeAll(async () => {
  stack = await deployedStack();
  dispatcherArn = functionArn(stack.dispatcher.logicalId);
  consumerArn = functionArn(stack.consumer.logicalId);
  [main, wakes] = await Promise.all([deploy(), deploy()]);
}, 240_000);

afterAll(async () => {
  await Promise.all(started.map((environment) => environment.stop()));
  await Promise.all(stubs.map((stub) => stub.stop()));
});

async function http(deployment: Deployment, request: HttpRequest) {
  return readAnswer(await deployment.api.invoke(httpEvent(stack, request)));
}

async function createQueue(deployment: Deployment, name = CONSUMED_QUEUE, body: object = {}) {
  const answer = await http(deployment, { method: 'PUT', path: `/v1/queues/${name}`, body });
  expect(answer.status).toBe(201);
}

async function publish(deployment: Deployment, messages: Record<string, unknown>[]) {
  const path = `/v1/queues/${CONSUMED_QUEUE}/messages/batch`;
  const answer = await http(deployment, { method: 'POST', path, body: { messages } });
  expect(answer.status).toBe(200);
  return answer.body.results as { id: string; deliverAt: string }[];
}

/** The SQS-shaped records an Invoke carried. */
function sqsRecords(invocation: { payload: unknown } | undefined) {
  const records = (invocation?.payload as SQSEvent | undefined)?.Records;
  if (!records) throw new Error(`not an SQS-shaped event: ${JSON.stringify(invocation)}`);
  return records;
}

describe('the bundled dispatcher', () => {
  it('is deployed as index.handler with its consumers, schedule group and scheduler role', () => {
    expect(stack.dispatcher).toMatchObject({
      handler: 'index.handler',
      runtime: 'nodejs22.x',
      timeoutSeconds: 900,
    });
    expect(JSON.parse(main.env.POSTBOX_CONSUMERS as string)).toEqual([
      { queue: CONSUMED_QUEUE, handler: consumerArn, ...CONSUMER_OPTIONS },
    ]);
    expect(main.env.POSTBOX_SCHEDULER_ROLE_ARN).toMatch(new RegExp(`^arn:aws:iam::${ACCOUNT}:role/`));
    expect(main.env.POSTBOX_SCHEDULE_GROUP).toEqual(expect.any(String));
  });
});

/** The wake-up the dispatcher arranged for a message due in seconds, and its run. */
let wake: { due: number; id: string; run: Promise<unknown> };

describe('a wake-up soon, arranged from the stream', () => {
  it('is an asynchronous invocation of the dispatcher itself with the minute of the due message', async () => {
    await createQueue(wakes);
    expect(await wakes.stream.events()).toEqual([]);
    wakes.stub.clear();
    const [published] = await publish(wakes, [{ body: 'wake me', delaySeconds: WAKE_DELAY_SECONDS }]);
    const due = Date.parse(published?.deliverAt as string);
    const events = await wakes.stream.events();
    expect(events.map((event) => event.Records.length)).toEqual([1]);
    expect(events[0]?.Records[0]?.dynamodb?.NewImage?.ask?.S).toMatch(/^T/);
    expect(await wakes.dispatcher.invoke(events[0])).toBeNull();
    const payload = { postbox: 'wake', minute: iso(minuteOf(due)) };
    expect(wakes.stub.invocations()).toEqual([
      { functionName: dispatcherArn, invocationType: 'Event', payload },
    ]);
    expect(wakes.stub.requests[0]?.signedFor).toEqual({ service: 'lambda', region: REGION });
    expect(wakes.stub.createdSchedules()).toEqual([]);
    // Lambda delivers the asynchronous invocation at once, to another execution environment
    // while this one is busy: it runs beside the next tests and ends once its minute is over.
    wakes.stub.functionsDo(() => null);
    const run = wakes.dispatcher.invoke(payload);
    run.catch(() => undefined); // awaited, and so reported, by the last test
    wake = { due, id: published?.id as string, run };
  });
});

/** The messages of the consumer path, in publish order; the second is failed by the consumer. */
let ids: string[];

describe('the consumer path: publish → stream record → dispatcher → Invoke → ack and release', () => {
  it('delivers the published messages to the consumer function in one SQS-shaped Invoke', async () => {
    // One receive, then the dead-letter queue: a failure is settled once, however slow the machine
    // (with retries, a drain still running 2 s later would deliver the failed message again).
    await createQueue(main, DEAD_LETTERS);
    await createQueue(main, CONSUMED_QUEUE, { deadLetterQueue: DEAD_LETTERS, maxReceiveCount: 1 });
    expect(await main.stream.events()).toEqual([]);
    const published = await publish(main, [
      { body: { n: 1 } },
      { body: { n: 2, fail: true } },
      { body: 'three' },
    ]);
    ids = published.map((result) => result.id);
    const events = await main.stream.events();
    expect(events.map((event) => event.Records.length)).toEqual([3]);
    for (const record of events[0]?.Records ?? []) {
      expect(record).toMatchObject({ eventName: 'INSERT', eventSource: 'aws:dynamodb', awsRegion: REGION });
      expect(record.eventSourceARN).toBe(main.stream.streamArn);
      expect(record.dynamodb?.NewImage?.apk?.S).toMatch(new RegExp(`^Q#${CONSUMED_QUEUE}#`));
    }
    main.stub.clear();
    // The consumer fails the message whose body says so, as an SQS handler with ReportBatchItemFailures.
    main.stub.functionsDo(({ payload }) => ({
      batchItemFailures: (payload as SQSEvent).Records.filter((record) => record.body.includes('fail')).map(
        (record) => ({ itemIdentifier: record.messageId }),
      ),
    }));
    expect(await main.dispatcher.invoke(events[0])).toBeNull();

    const [invocation, ...more] = main.stub.invocations();
    expect(more).toEqual([]);
    expect(invocation).toMatchObject({ functionName: consumerArn, invocationType: 'RequestResponse' });
    expect(main.stub.requests[0]?.signedFor).toEqual({ service: 'lambda', region: REGION });
    const records = sqsRecords(invocation);
    expect(records.map((record) => record.messageId)).toEqual(ids);
    expect(records.map((record) => record.body)).toEqual(['{"n":1}', '{"n":2,"fail":true}', 'three']);
    for (const record of records) {
      expect(record).toMatchObject({
        receiptHandle: expect.any(String),
        eventSource: 'postbox',
        eventSourceARN: `arn:aws:postbox:${REGION}:${ACCOUNT}:${CONSUMED_QUEUE}`,
        awsRegion: REGION,
        md5OfBody: expect.stringMatching(/^[0-9a-f]{32}$/),
        attributes: expect.objectContaining({ ApproximateReceiveCount: '1', SenderId: 'postbox' }),
        messageAttributes: {},
      });
    }
  });

  it('acked the successes and released the failure, in DynamoDB Local: to the dead-letter queue', async () => {
    const [first, failed, third] = ids as [string, string, string];
    for (const id of [first, failed, third]) {
      await expect(main.engine.getMessage(CONSUMED_QUEUE, id)).rejects.toMatchObject({
        code: 'MessageNotFound',
      });
    }
    expect(await main.engine.getMessage(DEAD_LETTERS, failed)).toMatchObject({
      body: { n: 2, fail: true },
      state: 'ready',
      deadLetter: { sourceQueue: CONSUMED_QUEUE, receiveCount: 1, reason: 'maxReceiveCount' },
    });
    const batch = main.dispatcher.jsonLogs().find((entry) => entry.message === 'batch');
    expect(batch).toMatchObject({ outcome: 'partial', acked: 2, released: 1, failed: 1, messages: 3 });
  });

  it('the mapping filter passes only the leases on: not removals, other queues or other items', async () => {
    const records = await main.stream.read();
    const kind = (record: (typeof records)[number]) => {
      const apk = (record.dynamodb?.NewImage ?? record.dynamodb?.OldImage)?.apk?.S;
      return `${record.eventName} ${apk ? apk.split('#')[1] : 'item without apk'}`;
    };
    // Besides the messages: the consumer's slot item and the queues' own items (no availability key).
    expect([...new Set(records.map(kind))]).toEqual(
      expect.arrayContaining([
        `MODIFY ${CONSUMED_QUEUE}`,
        `REMOVE ${CONSUMED_QUEUE}`,
        `INSERT ${DEAD_LETTERS}`,
        'MODIFY item without apk',
      ]),
    );
    const delivered = lambdaEvents(records, stack.streamMapping).flatMap((event) => event.Records);
    expect(delivered.map(kind)).toEqual([1, 2, 3].map(() => `MODIFY ${CONSUMED_QUEUE}`));
    for (const record of delivered) expect(record.dynamodb?.NewImage?.ask?.S).toMatch(/^T/);
  });
});

describe('the minute sweep (the rule target\u2019s input)', () => {
  it('delivers what no stream record announced', async () => {
    expect(JSON.parse(stack.sweepInput)).toEqual({ postbox: 'sweep' });
    const [unannounced] = await publish(main, [{ body: 'no record of me reached the dispatcher' }]);
    await main.stream.read(); // dropped: the sweep is what picks such a message up
    main.stub.clear();
    main.stub.functionsDo(() => ({ batchItemFailures: [] }));
    expect(await main.dispatcher.invoke(JSON.parse(stack.sweepInput))).toBeNull();

    const invocations = main.stub.invocations();
    expect(invocations.map((call) => call.functionName)).toEqual([consumerArn]);
    const records = sqsRecords(invocations[0]);
    expect(records.map((record) => [record.messageId, record.attributes.ApproximateReceiveCount])).toEqual([
      [unannounced?.id, '1'],
    ]);
    expect((await main.engine.getQueue(CONSUMED_QUEUE)).counts.total).toBe(0);
  });

  it('writes the queue metrics the alarms read, as CloudWatch embedded metric documents', () => {
    const metrics = main.dispatcher
      .jsonLogs()
      .filter((entry) => entry._aws !== undefined && entry.Queue === CONSUMED_QUEUE);
    const names = metrics.flatMap((entry) =>
      (
        entry._aws as { CloudWatchMetrics: { Namespace: string; Metrics: { Name: string }[] }[] }
      ).CloudWatchMetrics.flatMap((group) =>
        group.Metrics.map((metric) => `${group.Namespace}/${metric.Name}`),
      ),
    );
    expect(names).toEqual(
      expect.arrayContaining([
        'Postbox/ReadyMessages',
        'Postbox/OldestMessageAgeSeconds',
        'Postbox/MessagesDelivered',
      ]),
    );
    expect(metrics.find((entry) => 'ReadyMessages' in entry)?.ReadyMessages).toBe(0);
  });
});

describe('a wake-up later, through EventBridge Scheduler', () => {
  it('creates one schedule for the minute before a message due in ten minutes', async () => {
    await main.stream.read(); // the earlier tests' records went to their own invocations
    main.stub.clear();
    const [published] = await publish(main, [{ body: 'later', delaySeconds: 600 }]);
    const minute = minuteOf(Date.parse(published?.deliverAt as string));
    const events = await main.stream.events();
    expect(events.map((event) => event.Records.length)).toEqual([1]);
    expect(await main.dispatcher.invoke(events[0])).toBeNull();

    const name = `postbox-${iso(minute).slice(0, 16).replace(/[-:T]/g, '')}`;
    expect(main.stub.createdSchedules()).toEqual([
      {
        name,
        input: {
          GroupName: main.env.POSTBOX_SCHEDULE_GROUP,
          ScheduleExpression: `at(${iso(minute - MINUTE).slice(0, 19)})`,
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          Description: expect.stringContaining(iso(minute)),
          ClientToken: expect.any(String),
          Target: {
            Arn: dispatcherArn,
            RoleArn: main.env.POSTBOX_SCHEDULER_ROLE_ARN,
            Input: JSON.stringify({ postbox: 'wake', minute: iso(minute) }),
            RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 120 },
          },
        },
      },
    ]);
    expect(main.stub.requests.map((request) => request.signedFor?.service)).toEqual(['scheduler']);
    expect(main.stub.invocations()).toEqual([]);

    // The same batch again in another execution environment (a retry, another shard's dispatcher):
    // the minute's mark in the table says it is arranged, so no second schedule.
    const other = await LambdaProcess.start(stack.dispatcher, main.env);
    started.push(other);
    main.stub.clear();
    expect(await other.invoke(events[0])).toBeNull();
    expect(main.stub.requests).toEqual([]);
  });
});

describe('a rate-limited backlog: handed over to a drain invocation of the dispatcher itself', () => {
  it('delivers the burst from the stream, hands over, and the drain delivers the rest at the rate', async () => {
    await main.stream.read();
    const limit = { rateLimit: { perSecond: 1, burst: 1 } };
    const path = `/v1/queues/${CONSUMED_QUEUE}`;
    expect((await http(main, { method: 'PUT', path, body: limit })).status).toBe(200);
    // The dispatcher process read this queue's configuration in earlier tests: past its 1 s
    // cache it sees the limit (before, it delivered the whole burst unlimited).
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    main.stub.clear();
    main.stub.functionsDo(() => ({ batchItemFailures: [] }));
    const published = await publish(main, [{ body: 'r1' }, { body: 'r2' }, { body: 'r3' }]);
    for (const event of await main.stream.events()) expect(await main.dispatcher.invoke(event)).toBeNull();

    // One token: one message, then the empty bucket; the stream invocation does not wait for it.
    const drain = { postbox: 'drain', queue: CONSUMED_QUEUE };
    const handOver = {
      functionName: main.env.AWS_LAMBDA_FUNCTION_NAME,
      invocationType: 'Event',
      payload: drain,
    };
    const first = main.stub.invocations();
    // One token, and one more if the stream invocations took over a second (a loaded machine).
    const burst = first.filter((call) => call.functionName === consumerArn).flatMap(sqsRecords).length;
    expect(burst).toBeGreaterThanOrEqual(1);
    expect(burst).toBeLessThanOrEqual(2);
    const handOvers = first.filter((call) => call.functionName !== consumerArn);
    expect(handOvers.length).toBeGreaterThanOrEqual(1);
    expect(handOvers).toEqual(handOvers.map(() => handOver));

    // The drain invocation waits for each token, and ends with the backlog: no further hand-over.
    main.stub.clear();
    const started = performance.now();
    expect(await main.dispatcher.invoke(drain)).toBeNull();
    const rest = main.stub.invocations();
    expect(rest.map((call) => call.functionName)).toEqual(Array(3 - burst).fill(consumerArn));
    if (burst === 1) expect(performance.now() - started).toBeGreaterThanOrEqual(900);
    const delivered = [...first, ...rest]
      .filter((call) => call.functionName === consumerArn)
      .flatMap(sqsRecords)
      .map((record) => record.messageId);
    expect(delivered.sort()).toEqual(published.map((result) => result.id).sort());
    expect((await main.engine.getQueue(CONSUMED_QUEUE)).counts.ready).toBe(0);
    expect((await http(main, { method: 'PUT', path, body: { rateLimit: null } })).status).toBe(200);
  });
});

describe('the wake-up arranged first', () => {
  it('delivered the message to the consumer at its due time, then returned at the end of its minute', async () => {
    expect(await wake.run).toBeNull();
    expect(Date.now()).toBeGreaterThanOrEqual(minuteOf(wake.due) + MINUTE);
    const invocations = wakes.stub.invocations().filter((call) => call.functionName === consumerArn);
    expect(invocations).toHaveLength(1);
    expect(invocations[0]?.invocationType).toBe('RequestResponse');
    expect(sqsRecords(invocations[0]).map((record) => [record.messageId, record.body])).toEqual([
      [wake.id, 'wake me'],
    ]);
    const delivered = wakes.stub.requests.find((request) =>
      decodeURIComponent(request.path).includes(consumerArn),
    )?.at as number;
    // Not before its time; and at its second, not at the end of the minute (slack for a loaded machine).
    expect(delivered).toBeGreaterThanOrEqual(wake.due);
    expect(delivered - wake.due).toBeLessThan(10_000);
    expect((await wakes.engine.getQueue(CONSUMED_QUEUE)).counts.total).toBe(0);
    expect(wakes.dispatcher.jsonLogs().find((entry) => entry.message === 'wake')).toMatchObject({
      dispatched: 1,
    });
  }, 90_000);
});
