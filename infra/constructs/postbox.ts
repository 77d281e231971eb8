/**
 * A whole Postbox deployment as one construct, for `cdk deploy` of the bundled app or for
 * composing into your own CDK app: the table, the HTTP API, the dispatcher for event-driven
 * consumers (with its wake-up schedules and minute sweep), alarms and a dashboard.
 */

import { RemovalPolicy } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { PostboxAlarms, type PostboxAlarmsProps } from './alarms';
import { checkApiProps, PostboxApi, type PostboxApiProps } from './api';
import { checkConsumerProps, type PostboxConsumerProps } from './consumer';
import { PostboxDispatcher } from './dispatcher';
import { checkTableProps, PostboxTable, type PostboxTableProps } from './table';

/** Options for {@link Postbox}. */
export interface PostboxProps {
  /**
   * What happens to the table and the log groups when they leave the stack. `DESTROY` suits
   * throw-away development stacks only: it deletes every message with the table.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Options for the table (encryption key, name, deletion protection).
   * @default - the {@link PostboxTable} defaults: AWS-owned encryption key, generated name
   */
  readonly tableProps?: Omit<PostboxTableProps, 'removalPolicy'>;

  /**
   * Options for the api function and the HTTP API (memory, timeout, logs, throttling).
   * @default - the {@link PostboxApi} defaults: 512 MB, 30 s, one month of logs, 1000 req/s
   */
  readonly apiProps?: Omit<PostboxApiProps, 'table' | 'removalPolicy'>;

  /**
   * Where alarms notify, and when a waiting message counts as too old.
   * @default - alarms without actions; oldest message age alarm at 15 minutes
   */
  readonly alarms?: PostboxAlarmsProps;
}

/**
 * A serverless message queue in your account: a DynamoDB table and an IAM-authorized HTTP API
 * in front of the queue engine.
 *
 * @example
 * const postbox = new Postbox(this, 'Postbox', {
 *   apiProps: { throttlingRateLimit: 200 },
 * });
 * postbox.grantPublish(checkoutRole, 'orders');
 * postbox.addConsumer({ queue: 'orders', handler: ordersFunction, batchSize: 10, concurrency: 2 });
 * new CfnOutput(this, 'ApiUrl', { value: postbox.apiUrl });
 */
export class Postbox extends Construct {
  /** The DynamoDB table holding every queue, message and lease. */
  public readonly table: dynamodb.Table;
  /** The base URL of the HTTP API, ending in `/` (paths start with `v1/`). */
  public readonly apiUrl: string;
  /** The function behind every route of the HTTP API. */
  public readonly apiFunction: lambda.Function;
  /** The HTTP API. */
  public readonly httpApi: apigwv2.HttpApi;
  /** The table construct, with `grantEngineAccess` for functions that run the engine. */
  public readonly store: PostboxTable;
  /** The API construct, with its stage and access log group. */
  public readonly api: PostboxApi;
  /** The dispatcher of event-driven consumers, its schedule group, scheduler role and sweep. */
  public readonly dispatcher: PostboxDispatcher;
  /** Alarms and the dashboard. */
  public readonly monitoring: PostboxAlarms;
  private readonly consumers: PostboxConsumerProps[] = [];

  constructor(scope: Construct, id: string, props: PostboxProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const tableProps: PostboxTableProps = { ...props.tableProps, removalPolicy };
    const apiOptions = { ...props.apiProps, removalPolicy };

    // Every conflict in one error, before anything is created (a set: both parts check removalPolicy).
    const problems = new Set([...checkTableProps(tableProps), ...checkApiProps(apiOptions)]);
    if (problems.size > 0) throw new Error(`Invalid Postbox props:\n- ${[...problems].join('\n- ')}`);

    this.store = new PostboxTable(this, 'Table', tableProps);
    this.api = new PostboxApi(this, 'Api', { ...apiOptions, table: this.store });
    this.table = this.store.table;
    this.apiUrl = this.api.apiUrl;
    this.apiFunction = this.api.apiFunction;
    this.httpApi = this.api.httpApi;
    this.dispatcher = new PostboxDispatcher(this, 'Dispatcher', {
      table: this.store,
      removalPolicy,
      logRetention: props.apiProps?.logRetention,
    });
    this.monitoring = new PostboxAlarms(this, 'Monitoring', props.alarms);
    this.monitoring.watchFunction('Api', this.apiFunction);
    this.monitoring.watchFunction('Dispatcher', this.dispatcher.dispatcherFunction);
  }

  /**
   * Invokes `handler` with batches of the queue's messages, in an SQS-shaped event, as an SQS
   * event source would: successes are acked, failures (a thrown error, or the messages listed in
   * `batchItemFailures`) come back with backoff until the queue's `maxReceiveCount` sends them to
   * its dead-letter queue. At most `concurrency` batches run at once.
   *
   * @example
   * postbox.addConsumer({ queue: 'orders', handler: ordersFunction, batchSize: 5, concurrency: 4,
   *   visibilityTimeoutSeconds: 60 });
   */
  public addConsumer(props: PostboxConsumerProps): void {
    const problems = checkConsumerProps(props, this.consumers);
    if (problems.length > 0) throw new Error(`Invalid Postbox consumer:\n- ${problems.join('\n- ')}`);
    this.consumers.push(props);
    this.dispatcher.addConsumer(props);
    this.monitoring.watchConsumer(props.queue, props.handler);
  }

  /** Lets `grantee` publish to `queue` (every queue when omitted), over SigV4. */
  public grantPublish(grantee: iam.IGrantable, queue?: string): iam.Grant {
    return this.api.grantPublish(grantee, queue);
  }

  /** Lets `grantee` receive, ack, release and extend on `queue` (every queue when omitted). */
  public grantConsume(grantee: iam.IGrantable, queue?: string): iam.Grant {
    return this.api.grantConsume(grantee, queue);
  }

  /** Lets `grantee` call every route of the API. */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return this.api.grantInvoke(grantee);
  }

  /** Lets `grantee` call the routes of one queue (`/v1/queues/{queue}` and below) only. */
  public grantQueueAccess(grantee: iam.IGrantable, queue: string): iam.Grant {
    return this.api.grantQueueAccess(grantee, queue);
  }

  /** Lets `grantee` use the SQS API of every queue (`POST /`, see PostboxApi.grantSqsAccess). */
  public grantSqsAccess(grantee: iam.IGrantable): iam.Grant {
    return this.api.grantSqsAccess(grantee);
  }
}
