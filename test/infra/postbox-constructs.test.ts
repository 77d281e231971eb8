/**
 * The constructs composed into a user's own stack (no bundling; cdk-nag runs on every synth):
 * consumers, their grants, schedules and alarms; a dev stack with a customer-managed key; props.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Postbox } from '../../infra/constructs/postbox';
import {
  actionsOf,
  functionWithTimeout,
  newApp,
  only,
  type Resource,
  removeTempDirs,
  resources,
  type Statement,
  statements,
} from './support';

afterAll(removeTempDirs);

/** A consumer function as a user would write one: its own role, no managed policy. */
function consumerFunction(stack: Stack, id: string, timeout = Duration.seconds(20)): lambda.Function {
  const role = new iam.Role(stack, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
  });
  return new lambda.Function(stack, id, {
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] });'),
    timeout,
    role,
  });
}

const idOf = (stack: Stack, construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as never);

describe('Postbox with consumers', () => {
  let stack: Stack;
  let template: Template;
  let postbox: Postbox;
  let ordersFn: lambda.Function;
  let emailsFn: lambda.Function;
  let dispatcherId: string;
  let dispatcherRoleId: string;

  beforeAll(() => {
    const app = newApp();
    stack = new Stack(app, 'Consumers');
    postbox = new Postbox(stack, 'Postbox');
    ordersFn = consumerFunction(stack, 'Orders');
    emailsFn = consumerFunction(stack, 'Emails');
    postbox.addConsumer({
      queue: 'orders',
      handler: ordersFn,
      batchSize: 5,
      concurrency: 4,
      visibilityTimeoutSeconds: 60,
    });
    postbox.addConsumer({ queue: 'emails', handler: emailsFn });
    const checkout = new iam.Role(stack, 'Checkout', { assumedBy: new iam.AccountRootPrincipal() });
    const worker = new iam.Role(stack, 'Worker', { assumedBy: new iam.AccountRootPrincipal() });
    postbox.grantPublish(checkout, 'orders');
    postbox.grantConsume(worker);
    // Throws on any unacknowledged cdk-nag finding.
    app.synth();
    template = Template.fromStack(stack);
    dispatcherId = idOf(stack, postbox.dispatcher.dispatcherFunction);
    dispatcherRoleId = idOf(stack, postbox.dispatcher.dispatcherFunction.role as iam.Role);
  });

  it('tells the dispatcher its consumers, with their options and function ARNs', () => {
    const [, dispatcher] = functionWithTimeout(template, 900);
    const consumers = JSON.stringify(dispatcher.Properties.Environment.Variables.POSTBOX_CONSUMERS);
    expect(consumers).toContain('\\"queue\\":\\"orders\\",\\"handler\\":\\"');
    expect(consumers).toContain('\\"batchSize\\":5,\\"concurrency\\":4,\\"visibilityTimeoutSeconds\\":60');
    expect(consumers).toContain('\\"queue\\":\\"emails\\"');
    expect(consumers).toContain(idOf(stack, ordersFn));
    expect(consumers).toContain(idOf(stack, emailsFn));
  });

  it('triggers the dispatcher from the stream, filtered to ready and timed messages of consumed queues', () => {
    const [, mapping] = only(template, 'AWS::Lambda::EventSourceMapping');
    expect(mapping.Properties).toMatchObject({
      FunctionName: { Ref: dispatcherId },
      StartingPosition: 'LATEST',
      ParallelizationFactor: 10,
      BisectBatchOnFunctionError: true,
    });
    const [filter] = mapping.Properties.FilterCriteria.Filters as { Pattern: string }[];
    expect(JSON.parse(filter?.Pattern ?? '')).toEqual({
      eventName: ['INSERT', 'MODIFY'],
      dynamodb: {
        NewImage: {
          apk: { S: [{ prefix: 'Q#orders#' }, { prefix: 'Q#emails#' }] },
          ask: { S: [{ prefix: 'R' }, { prefix: 'T' }] },
        },
      },
    });
  });

  it('lets the dispatcher invoke only the consumer functions and itself', () => {
    const invokes = statements(template, dispatcherRoleId).filter((s) =>
      actionsOf(s).includes('lambda:InvokeFunction'),
    );
    const targets = invokes.flatMap((s) => [s.Resource].flat());
    expect(targets).toEqual(
      expect.arrayContaining([
        { 'Fn::GetAtt': [idOf(stack, ordersFn), 'Arn'] },
        { 'Fn::GetAtt': [idOf(stack, emailsFn), 'Arn'] },
        { 'Fn::GetAtt': [dispatcherId, 'Arn'] },
      ]),
    );
    expect(targets).toHaveLength(3);
  });

  it('lets the dispatcher create schedules in its own group and pass only the scheduler role', () => {
    const own = statements(template, dispatcherRoleId);
    const create = own.filter((s) => actionsOf(s).some((a) => a.startsWith('scheduler:')));
    expect(create.map(actionsOf)).toEqual([['scheduler:CreateSchedule']]);
    const [, group] = only(template, 'AWS::Scheduler::ScheduleGroup');
    expect(JSON.stringify(create[0]?.Resource)).toContain(`:schedule/${group.Properties.Name}/*`);
    const pass = own.filter((s) => actionsOf(s).includes('iam:PassRole'));
    const schedulerRoleId = idOf(stack, postbox.dispatcher.schedulerRole);
    expect(pass).toEqual([
      expect.objectContaining({
        Resource: { 'Fn::GetAtt': [schedulerRoleId, 'Arn'] },
        Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    ]);
  });

  it('gives the scheduler role exactly one permission: invoking the dispatcher', () => {
    const schedulerRoleId = idOf(stack, postbox.dispatcher.schedulerRole);
    const role = template.findResources('AWS::IAM::Role')[schedulerRoleId] as Resource;
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      }),
    ]);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role.Properties.Policies).toBeUndefined();
    expect(statements(template, schedulerRoleId)).toEqual([
      { Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: { 'Fn::GetAtt': [dispatcherId, 'Arn'] } },
    ]);
  });

  it('reads the stream and never gets a wildcard DynamoDB action', () => {
    const stream = statements(template, dispatcherRoleId).filter((s) =>
      actionsOf(s).some((a) => a === 'dynamodb:GetRecords'),
    );
    expect(stream).toHaveLength(1);
    for (const statement of statements(template)) {
      for (const action of actionsOf(statement)) expect(action).not.toMatch(/^dynamodb:.*\*|^\*$/);
    }
  });

  it('grants publish and consume on exactly their routes', () => {
    const invokeArns = (role: string) =>
      JSON.stringify(
        statements(template, idOf(stack, stack.node.findChild(role) as iam.Role)).map(
          (s: Statement) => s.Resource,
        ),
      );
    const publish = invokeArns('Checkout');
    expect(publish).toContain('/POST/v1/queues/orders/messages"');
    expect(publish).toContain('/POST/v1/queues/orders/messages/batch"');
    expect(publish).not.toMatch(/receive|ack|\/\*\//);
    const consume = invokeArns('Worker');
    for (const route of ['receive', 'ack', 'release', 'extend'])
      expect(consume).toContain(`/POST/v1/queues/*/${route}"`);
    expect(consume).not.toContain('messages');
  });

  it('alarms on errors, throttles, dead letters and old messages, and has a dashboard', () => {
    const alarms = resources(template, 'AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties);
    const byMetric = (name: string) => alarms.filter((alarm) => alarm.MetricName === name);
    // api, dispatcher and two consumer functions.
    expect(byMetric('Errors')).toHaveLength(4);
    expect(byMetric('Throttles')).toHaveLength(4);
    expect(byMetric('DeadLetterMessages').map((alarm) => alarm.Dimensions)).toEqual([
      [
        { Name: 'Queue', Value: 'orders' },
        { Name: 'service', Value: 'postbox-dispatcher' },
      ],
      [
        { Name: 'Queue', Value: 'emails' },
        { Name: 'service', Value: 'postbox-dispatcher' },
      ],
    ]);
    expect(byMetric('OldestMessageAgeSeconds').map((alarm) => alarm.Threshold)).toEqual([900, 900]);
    for (const alarm of alarms)
      expect(alarm.Namespace === 'Postbox' || alarm.Namespace === 'AWS/Lambda').toBe(true);
    only(template, 'AWS::CloudWatch::Dashboard');
  });

  it('refuses a consumer with bad props, naming every problem at once', () => {
    const slow = consumerFunction(stack, 'Slow', Duration.minutes(5));
    expect(() =>
      postbox.addConsumer({
        queue: 'bad queue',
        handler: slow,
        batchSize: 11,
        concurrency: 0,
        visibilityTimeoutSeconds: 60,
      }),
    ).toThrow(
      /queue must match.*batchSize.*concurrency.*visibilityTimeoutSeconds \(60\) must be at least the handler's timeout \(300 s\)/s,
    );
    expect(() => postbox.addConsumer({ queue: 'orders', handler: ordersFn })).toThrow(
      /already consumes orders/,
    );
  });
});

describe('Postbox for a dev stack with a customer-managed key', () => {
  let template: Template;
  let tableId: string;
  let table: Resource;

  beforeAll(() => {
    const app = newApp();
    const stack = new Stack(app, 'Dev');
    const encryptionKey = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const postbox = new Postbox(stack, 'Postbox', {
      removalPolicy: RemovalPolicy.DESTROY,
      tableProps: { encryptionKey },
      apiProps: { throttlingRateLimit: 50, throttlingBurstLimit: 100 },
      alarms: { oldestMessageAge: Duration.minutes(5) },
    });
    postbox.addConsumer({ queue: 'jobs', handler: consumerFunction(stack, 'Jobs') });
    const worker = new iam.Role(stack, 'Worker', { assumedBy: new iam.AccountRootPrincipal() });
    postbox.grantQueueAccess(worker, 'orders');
    const sqsWorker = new iam.Role(stack, 'SqsWorker', { assumedBy: new iam.AccountRootPrincipal() });
    postbox.grantSqsAccess(sqsWorker);
    app.synth();
    template = Template.fromStack(stack);
    [tableId, table] = only(template, 'AWS::DynamoDB::Table');
  });

  it('destroys the table, the log groups and the schedule group with the stack', () => {
    expect(table.DeletionPolicy).toBe('Delete');
    expect(table.Properties.DeletionProtectionEnabled).toBe(false);
    for (const [, group] of resources(template, 'AWS::Logs::LogGroup'))
      expect(group.DeletionPolicy).toBe('Delete');
    expect(only(template, 'AWS::Scheduler::ScheduleGroup')[1].DeletionPolicy).toBe('Delete');
  });

  it('encrypts the table with the key and lets both functions use it', () => {
    const keyId = only(template, 'AWS::KMS::Key')[0];
    expect(table.Properties.SSESpecification).toEqual({
      SSEEnabled: true,
      SSEType: 'KMS',
      KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
    const kmsStatements = statements(template).filter((s) => actionsOf(s).some((a) => a.startsWith('kms:')));
    expect(kmsStatements.length).toBeGreaterThanOrEqual(2);
    for (const statement of kmsStatements)
      expect(statement.Resource).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    expect(JSON.stringify(statements(template))).toContain(`"${tableId}"`);
  });

  it('applies the throttling and alarm props', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'OldestMessageAgeSeconds',
      Threshold: 300,
    });
  });

  it('grants one queue its own routes and nothing wider', () => {
    const invoke = statements(template).filter(
      (s) => actionsOf(s).includes('execute-api:Invoke') && JSON.stringify(s.Resource).includes('/v1/'),
    );
    expect(invoke).toHaveLength(1);
    const arns = JSON.stringify(invoke[0]?.Resource);
    expect(arns).toContain('/v1/queues/orders"');
    expect(arns).toContain('/v1/queues/orders/*"');
    expect(arns).not.toContain('orders*');
  });
  it('grants POST / and POST /<account>/* (the SQS endpoint and its queue URLs), nothing of /v1', () => {
    const invoke = statements(template).filter(
      (s) => actionsOf(s).includes('execute-api:Invoke') && !JSON.stringify(s.Resource).includes('/v1/'),
    );
    expect(invoke).toHaveLength(1);
    const arns = JSON.stringify(invoke[0]?.Resource);
    expect(arns).toContain('/$default/POST/"');
    expect(arns).toMatch(/\/\$default\/POST\/",\{"Ref":"AWS::AccountId"\},"\/\*"/);
  });
});

describe('Postbox props', () => {
  it('reports every conflict in one error, before creating anything', () => {
    const stack = new Stack(newApp(), 'Bad');
    const make = () =>
      new Postbox(stack, 'Postbox', {
        removalPolicy: RemovalPolicy.DESTROY,
        tableProps: { deletionProtection: true },
        apiProps: { timeout: Duration.seconds(60), memorySize: 64, throttlingBurstLimit: 0 },
      });
    expect(make).toThrow(/deletionProtection.*memorySize.*timeout.*throttlingBurstLimit/s);
    expect(stack.node.findAll().some((c) => c.node.id === 'Table')).toBe(false);
  });

  it('refuses queue names that could widen a grant', () => {
    const stack = new Stack(newApp(), 'Names');
    const postbox = new Postbox(stack, 'Postbox');
    const role = new iam.Role(stack, 'Other', { assumedBy: new iam.AccountRootPrincipal() });
    expect(() => postbox.grantQueueAccess(role, 'orders*')).toThrow(/invalid queue name/);
    expect(() => postbox.grantPublish(role, 'a/b')).toThrow(/invalid queue name/);
    expect(() => postbox.grantConsume(role, '*')).toThrow(/invalid queue name/);
  });
});
