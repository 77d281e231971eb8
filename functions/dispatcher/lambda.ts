/**
 * The dispatcher Lambda's entry point. Configuration enters here once, from the environment CDK
 * sets (infra/constructs/dispatcher.ts), and is handed down as parameters:
 *
 *   POSTBOX_TABLE               the table
 *   POSTBOX_CONSUMERS           JSON list of consumers: queue, handler (function ARN), batchSize,
 *                               concurrency, visibilityTimeoutSeconds
 *   POSTBOX_SCHEDULE_GROUP      the deployment's EventBridge Scheduler group
 *   POSTBOX_SCHEDULER_ROLE_ARN  the role schedules invoke the dispatcher with
 *
 * Set by Lambda itself: AWS_LAMBDA_FUNCTION_NAME, the function's own name, which its rate
 * hand-overs invoke.
 *
 * Four kinds of event arrive: DynamoDB stream batches, wake-ups `{ postbox: 'wake', minute }`
 * (from a schedule, or from the dispatcher itself), the sweep `{ postbox: 'sweep' }` (an
 * EventBridge rule, every minute) and hand-overs `{ postbox: 'drain', queue }` (from the
 * dispatcher itself, for a queue held back by its rate limit).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { Context, DynamoDBRecord } from 'aws-lambda';
import { DynamoEngine } from '../core/dynamo-engine';
import { PartitionThrottleRetryStrategy } from '../core/retry-strategy';
import { Store } from '../core/store';
import { type Consumer, type ConsumerOptions, toConsumer } from './consumer';
import { Dispatcher, type Invocation } from './dispatcher';
import { lambdaHandOver, lambdaInvoker } from './invoke-lambda';
import { tableWakeMarks, Wakes } from './schedules';
import { powertoolsTelemetry, type Telemetry } from './telemetry';

export interface DispatcherEnv {
  tableName: string;
  consumers: Consumer[];
  scheduleGroup: string;
  schedulerRoleArn: string;
  region: string;
  /** The function's own name; undefined outside Lambda (the invoked ARN stands in). */
  functionName: string | undefined;
}

/** Reads the environment once; every problem at once. */
export function readEnv(env: Record<string, string | undefined>): DispatcherEnv {
  const problems: string[] = [];
  const need = (name: string) => {
    const value = env[name];
    if (!value) problems.push(`${name} is not set`);
    return value ?? '';
  };
  const tableName = need('POSTBOX_TABLE');
  const scheduleGroup = need('POSTBOX_SCHEDULE_GROUP');
  const schedulerRoleArn = need('POSTBOX_SCHEDULER_ROLE_ARN');
  let consumers: Consumer[] = [];
  try {
    const list = JSON.parse(env.POSTBOX_CONSUMERS ?? '[]') as ({
      queue: string;
      handler: string;
    } & ConsumerOptions)[];
    consumers = list.map(({ queue, handler, ...options }) => toConsumer(queue, handler, options));
  } catch (error) {
    problems.push(`POSTBOX_CONSUMERS: ${(error as Error).message}`);
  }
  if (problems.length > 0) throw new Error(`Invalid dispatcher environment: ${problems.join('; ')}`);
  return {
    tableName,
    consumers,
    scheduleGroup,
    schedulerRoleArn,
    region: env.AWS_REGION ?? 'us-east-1',
    functionName: env.AWS_LAMBDA_FUNCTION_NAME || undefined,
  };
}

export type DispatcherEvent =
  | { Records: DynamoDBRecord[] }
  | { postbox: 'wake'; minute: string }
  | { postbox: 'sweep' }
  | { postbox: 'drain'; queue: string };

/** Hands one event to the dispatcher duty it asks for. */
export async function route(
  event: DispatcherEvent,
  dispatcher: Dispatcher,
  invocation: Invocation,
  telemetry: Telemetry,
): Promise<void> {
  if ('Records' in event && Array.isArray(event.Records))
    return dispatcher.onStream(event.Records, invocation);
  if ('postbox' in event && event.postbox === 'wake' && Number.isFinite(Date.parse(event.minute))) {
    return dispatcher.onWake(Date.parse(event.minute), invocation);
  }
  if ('postbox' in event && event.postbox === 'sweep') return dispatcher.onSweep(invocation);
  if ('postbox' in event && event.postbox === 'drain' && typeof event.queue === 'string') {
    return dispatcher.onDrain(event.queue, invocation);
  }
  // Say what arrived by its shape only: an event could hold anything.
  telemetry.error('unknown event', { keys: Object.keys(event ?? {}) });
}

let state: { dispatcher: Dispatcher; telemetry: Telemetry } | undefined;

function init(context: Context) {
  const env = readEnv(process.env);
  const telemetry = powertoolsTelemetry();
  const dynamo = new DynamoDBClient({ retryStrategy: new PartitionThrottleRetryStrategy() });
  const store = new Store(dynamo, env.tableName);
  // The function's own ARN: the target of its wake-ups (known only once it runs).
  const dispatcherArn = context.invokedFunctionArn;
  const lambda = new LambdaClient({});
  const dispatcher = new Dispatcher({
    engine: new DynamoEngine({ client: dynamo, tableName: env.tableName }),
    store,
    consumers: env.consumers,
    invoke: lambdaInvoker(lambda),
    handOver: lambdaHandOver(lambda, env.functionName ?? dispatcherArn),
    wakes: new Wakes(
      new SchedulerClient({}),
      lambda,
      { group: env.scheduleGroup, roleArn: env.schedulerRoleArn, dispatcherArn },
      tableWakeMarks(store),
    ),
    source: { region: env.region, account: dispatcherArn.split(':')[4] ?? '' },
    telemetry,
  });
  return { dispatcher, telemetry };
}

export async function handler(event: DispatcherEvent, context: Context): Promise<void> {
  state ??= init(context);
  const { dispatcher, telemetry } = state;
  try {
    await route(event, dispatcher, { remainingMs: () => context.getRemainingTimeInMillis() }, telemetry);
  } finally {
    telemetry.flush();
  }
}
