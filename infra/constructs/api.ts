/**
 * The HTTP side of a Postbox deployment: the api function (functions/api/lambda.ts) behind an
 * API Gateway HTTP API that authorizes every request with IAM (SigV4).
 */

import { type CfnElement, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { postboxFunction } from './function-code';
import type { PostboxTable } from './table';

/**
 * API Gateway HTTP APIs give up on an integration after 29 s at most (CDK's bound; AWS documents
 * 30 s). A function allowed much longer would keep working for a client that has gone.
 */
const INTEGRATION_TIMEOUT_SECONDS = 29;
const MAX_FUNCTION_SECONDS = 30;

/** Queue names as the contract (docs/api.md) allows them; anything else could widen an IAM grant. */
const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/** Options for {@link PostboxApi}. */
export interface PostboxApiProps {
  /** The table the api function works on; it is granted exactly the engine's actions on it. */
  readonly table: PostboxTable;

  /**
   * Memory of the api function, in MB (CPU grows with it; 512 keeps cold starts short).
   * @default 512
   */
  readonly memorySize?: number;

  /**
   * Timeout of the api function. At most 30 s: API Gateway answers the client with 503 after
   * 29 s anyway, and a long poll (`waitSeconds` ≤ 20) returns well before.
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;

  /**
   * How long the function's logs and the API's access logs are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * What happens to the log groups when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Steady-state request rate (requests per second) the stage allows across all clients, so one
   * runaway client cannot spend the account's API Gateway quota or run up the table's bill.
   * @default 1000
   */
  readonly throttlingRateLimit?: number;

  /**
   * Requests the stage lets through in a burst above the steady rate (the token bucket's size).
   * @default 2000
   */
  readonly throttlingBurstLimit?: number;
}

/** Reports every problem with the props at once (empty when they are fine). */
export function checkApiProps(props: Omit<PostboxApiProps, 'table'>): string[] {
  const problems: string[] = [];
  const { memorySize, timeout, throttlingRateLimit: rate, throttlingBurstLimit: burst } = props;
  if (
    isConcrete(memorySize) &&
    !(Number.isInteger(memorySize) && memorySize >= 128 && memorySize <= 10_240)
  ) {
    problems.push(`memorySize must be an integer from 128 to 10240 MB (got ${memorySize})`);
  }
  if (timeout && !timeout.isUnresolved()) {
    const seconds = timeout.toMilliseconds() / 1000;
    if (seconds < 1 || seconds > MAX_FUNCTION_SECONDS) {
      problems.push(`timeout must be from 1 to ${MAX_FUNCTION_SECONDS} seconds (got ${seconds})`);
    }
  }
  if (isConcrete(rate) && !(Number.isFinite(rate) && rate > 0)) {
    problems.push(`throttlingRateLimit must be a positive number (got ${rate})`);
  }
  if (isConcrete(burst) && !(Number.isInteger(burst) && burst > 0)) {
    problems.push(`throttlingBurstLimit must be a positive integer (got ${burst})`);
  }
  if (props.removalPolicy === RemovalPolicy.SNAPSHOT) {
    problems.push('removalPolicy SNAPSHOT is not supported by log groups (use RETAIN, or DESTROY for dev)');
  }
  return problems;
}

function isConcrete(value: number | undefined): value is number {
  return value !== undefined && !Token.isUnresolved(value);
}

/**
 * The Postbox HTTP API: one api function (Node.js 22 on ARM, bundled locally by esbuild) behind
 * an API Gateway HTTP API whose every route requires IAM (SigV4) authorization, with stage
 * throttling and JSON access logs. Catch-all routes send every request to the function, which
 * answers unknown paths itself in the contract's shape.
 *
 * @example
 * const table = new PostboxTable(this, 'Table');
 * const api = new PostboxApi(this, 'Api', { table, throttlingRateLimit: 200 });
 * api.grantQueueAccess(workerRole, 'orders');
 */
export class PostboxApi extends Construct {
  /** The function that serves every route. */
  public readonly apiFunction: lambda.Function;
  /** The HTTP API. */
  public readonly httpApi: apigwv2.HttpApi;
  /** The `$default` stage: throttled, access-logged, auto-deployed. */
  public readonly stage: apigwv2.HttpStage;
  /** The API's base URL, ending in `/`. */
  public readonly apiUrl: string;
  /** Where the stage writes one JSON line per request. */
  public readonly accessLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: PostboxApiProps) {
    super(scope, id);
    const problems = checkApiProps(props);
    if (problems.length > 0) throw new Error(`Invalid PostboxApi props:\n- ${problems.join('\n- ')}`);

    const retention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.apiFunction = this.createFunction(props, retention, removalPolicy);
    props.table.grantEngineAccess(this.apiFunction);
    if (this.apiFunction.role) props.table.acknowledgeEngineGrant(this.apiFunction.role);

    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      apiName: `${Stack.of(this).stackName}-postbox`,
      description: 'Postbox HTTP API (IAM-authorized)',
      // The stage is created below, with throttling and access logs the default one lacks.
      createDefaultStage: false,
      defaultAuthorizer: new HttpIamAuthorizer(),
    });
    const integration = new HttpLambdaIntegration('ApiFunction', this.apiFunction, {
      payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
      timeout: Duration.seconds(INTEGRATION_TIMEOUT_SECONDS),
    });
    // `{proxy+}` does not match the bare root, so `/` gets its own route; together they send
    // every request to the function (the contract's 404/405 bodies come from the app). `POST /`
    // is also the SQS endpoint (docs/sqs.md), IAM-authorized like the rest.
    for (const routePath of ['/{proxy+}', '/']) {
      this.httpApi.addRoutes({ path: routePath, methods: [apigwv2.HttpMethod.ANY], integration });
    }

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', { retention, removalPolicy });
    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      autoDeploy: true,
      throttle: {
        rateLimit: props.throttlingRateLimit ?? 1000,
        burstLimit: props.throttlingBurstLimit ?? 2000,
      },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogGroup),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
    this.apiUrl = this.stage.url;
  }

  /** Lets `grantee` call every route of the API (e.g. an operator or a trusted service). */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: [this.httpApi.arnForExecuteApi()],
    });
  }

  /**
   * Lets `grantee` call every route of one queue, `/v1/queues/{queue}` and below, and nothing
   * else. The exact path and the `/*` suffix are granted separately because IAM's `*` also
   * matches `/`: `orders*` would let the grantee into `orders-archive` too.
   */
  public grantQueueAccess(grantee: iam.IGrantable, queue: string): iam.Grant {
    if (!Token.isUnresolved(queue) && !QUEUE_NAME.test(queue)) {
      throw new Error(`grantQueueAccess: invalid queue name ${JSON.stringify(queue)}`);
    }
    return this.grantInvokeOn(
      grantee,
      [
        ['*', `/v1/queues/${queue}`],
        ['*', `/v1/queues/${queue}/*`],
      ],
      `every method on /v1/queues/${queue} and below: one queue's routes, as asked`,
    );
  }

  /**
   * Lets `grantee` use the SQS API (docs/sqs.md): `POST /` and the Query protocol's queue URLs
   * `POST /<account>/<queue>`, and nothing of /v1. The SQS API names its queue in the body, so
   * the grant covers every SQS action on every queue; grant /v1 routes for narrower access.
   */
  public grantSqsAccess(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: [
        this.httpApi.arnForExecuteApi('POST', '/', '$default'),
        this.httpApi.arnForExecuteApi('POST', `/${Stack.of(this).account}/*`, '$default'),
      ],
    });
    const principal = grantee.grantPrincipal;
    if (Construct.isConstruct(principal)) {
      const apiId = Stack.of(this).getLogicalId(this.httpApi.node.defaultChild as CfnElement);
      Validations.of(principal).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${apiId}>/$default/POST/<AWS::AccountId>/*]`,
        reason:
          'Postbox grant of the SQS API, as asked: its queue URLs /<account>/<queue>, on this API only.',
      });
    }
    return grant;
  }

  /**
   * Lets `grantee` publish to one queue (or to every queue): `POST /v1/queues/{queue}/messages`
   * and `/messages/batch`, nothing else.
   */
  public grantPublish(grantee: iam.IGrantable, queue?: string): iam.Grant {
    return this.grantRoutes(grantee, queue, [
      ['POST', 'messages'],
      ['POST', 'messages/batch'],
    ]);
  }

  /**
   * Lets `grantee` consume one queue (or every queue): receive, ack, release and extend, nothing
   * else (no publish, no purge, no configuration).
   */
  public grantConsume(grantee: iam.IGrantable, queue?: string): iam.Grant {
    return this.grantRoutes(grantee, queue, [
      ['POST', 'receive'],
      ['POST', 'ack'],
      ['POST', 'release'],
      ['POST', 'extend'],
    ]);
  }

  /**
   * `execute-api:Invoke` on `METHOD /v1/queues/<queue>/<route>` for each route. Without a queue
   * the queue segment is `*`, which IAM also lets match `/`; the routes' fixed endings keep that
   * to the named operations.
   */
  private grantRoutes(
    grantee: iam.IGrantable,
    queue: string | undefined,
    routes: [string, string][],
  ): iam.Grant {
    if (queue !== undefined && !Token.isUnresolved(queue) && !QUEUE_NAME.test(queue)) {
      throw new Error(`invalid queue name ${JSON.stringify(queue)}`);
    }
    return this.grantInvokeOn(
      grantee,
      routes.map(([method, route]) => [method, `/v1/queues/${queue ?? '*'}/${route}`]),
      `the ${routes.map(([, route]) => route).join(', ')} routes of every queue, as asked (no queue named)`,
    );
  }

  /**
   * `execute-api:Invoke` on `<api>/$default/<method><path>` for each route, and an exact cdk-nag
   * acknowledgement, on the grantee, of each wildcard the caller asked for (a method `*`, a queue
   * `*`, a `/*` below a queue): the grant is as wide as the call says and no wider.
   */
  private grantInvokeOn(grantee: iam.IGrantable, routes: [string, string][], why: string): iam.Grant {
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: routes.map(([method, route]) => this.httpApi.arnForExecuteApi(method, route, '$default')),
    });
    const principal = grantee.grantPrincipal;
    if (!Construct.isConstruct(principal)) return grant;
    const apiId = Stack.of(this).getLogicalId(this.httpApi.node.defaultChild as CfnElement);
    for (const [method, route] of routes.filter(([method, route]) => `${method}${route}`.includes('*'))) {
      Validations.of(principal).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${apiId}>/$default/${method}${route}]`,
        reason: `Postbox grant of ${why}, on this API only.`,
      });
    }
    return grant;
  }

  private createFunction(
    props: PostboxApiProps,
    retention: logs.RetentionDays,
    removalPolicy: RemovalPolicy,
  ): lambda.Function {
    const logGroup = new logs.LogGroup(this, 'FunctionLogs', { retention, removalPolicy });
    // An own role instead of the default one with AWSLambdaBasicExecutionRole: that managed policy
    // may write to every log group in the account; this role writes to its own group only.
    const role = new iam.Role(this, 'FunctionRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Postbox api function: its own log group and the Postbox table',
    });
    logGroup.grantWrite(role);

    const fn = postboxFunction(this, 'Function', 'api', {
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(MAX_FUNCTION_SECONDS),
      role,
      logGroup,
      environment: {
        // The one place configuration enters; lambda.ts reads it once and passes it down.
        POSTBOX_TABLE: props.table.table.tableName,
        NODE_OPTIONS: '--enable-source-maps',
      },
    });
    Validations.of(fn).acknowledge({ id: 'AwsSolutions::AwsSolutions-L1', reason: RUNTIME_REASON });
    return fn;
  }
}

/** Why the functions run Node.js 22 rather than the newest runtime cdk-nag knows. */
export const RUNTIME_REASON =
  'Node.js 22 is the runtime the project targets and tests with (the local runtime and CI run Node 20/22); moving to a newer runtime is a deliberate upgrade, not a default.';

/**
 * One JSON object per request. The caller's identity is logged (IAM decides access, so it is the
 * audit trail); message bodies never are, and API Gateway could not log them here anyway.
 */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  sourceIp: '$context.identity.sourceIp',
  caller: '$context.identity.userArn',
  httpMethod: '$context.httpMethod',
  path: '$context.path',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  error: '$context.error.message',
};
