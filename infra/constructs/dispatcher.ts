/**
 * The dispatcher (functions/dispatcher/lambda.ts): turns "something became ready" into
 * invocations of consumer functions. Driven by three sources:
 *
 *   the table's stream       filtered to inserts/updates of message items of consumed queues whose
 *                            new availability key is ready (R…) or a timer (T…)
 *   EventBridge Scheduler    one-time wake-ups the dispatcher creates in its own schedule group,
 *                            through a role that may invoke the dispatcher and nothing else
 *   an EventBridge rule      the sweep, every minute: the safety net and the queue metrics
 */
import { Duration, Lazy, Names, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { RUNTIME_REASON } from './api';
import { consumerEntry, type PostboxConsumerProps } from './consumer';
import { postboxFunction } from './function-code';
import type { PostboxTable } from './table';

/** Options for {@link PostboxDispatcher}. */
export interface PostboxDispatcherProps {
  /** The Postbox table: its stream drives the dispatcher, which runs the engine on it. */
  readonly table: PostboxTable;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** What happens to the log group and the schedule group when they leave the stack. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The dispatcher function, its schedule group and scheduler role, and the minute sweep. The
 * stream trigger is added with the first consumer (a deployment without consumers needs none).
 *
 * @example
 * const dispatcher = new PostboxDispatcher(this, 'Dispatcher', { table });
 * dispatcher.addConsumer({ queue: 'orders', handler: ordersFunction, batchSize: 5 });
 */
export class PostboxDispatcher extends Construct {
  public readonly dispatcherFunction: lambda.Function;
  /** The group the dispatcher's one-time wake-up schedules live in. */
  public readonly scheduleGroup: scheduler.ScheduleGroup;
  /** The role EventBridge Scheduler invokes the dispatcher with; it may do nothing else. */
  public readonly schedulerRole: iam.Role;
  /** The every-minute sweep. */
  public readonly sweepRule: events.Rule;
  private readonly consumers: PostboxConsumerProps[] = [];
  private readonly table: PostboxTable;
  private streamMapping?: lambda.EventSourceMapping;

  constructor(scope: Construct, id: string, props: PostboxDispatcherProps) {
    super(scope, id);
    this.table = props.table;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const stack = Stack.of(this);

    // A name known at synth (unique per stack and path), so the policy and its acknowledgement name it exactly.
    const groupName = Names.uniqueResourceName(this, { maxLength: 64, separator: '-' });
    this.scheduleGroup = new scheduler.ScheduleGroup(this, 'Schedules', {
      scheduleGroupName: groupName,
      removalPolicy,
    });
    this.schedulerRole = new iam.Role(this, 'SchedulerRole', {
      // Only schedules of this account may assume it (confused-deputy protection).
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'Postbox wake-up schedules: may invoke the Postbox dispatcher and nothing else',
    });

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy,
    });
    const role = new iam.Role(this, 'FunctionRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description:
        'Postbox dispatcher: its log group, the Postbox table and stream, its schedules, consumer functions',
    });
    logGroup.grantWrite(role);

    this.dispatcherFunction = postboxFunction(this, 'Function', 'dispatcher', {
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      // A wake-up waits through up to two minutes; a drain waits for consumer functions (≤ 15 min).
      timeout: Duration.minutes(15),
      role,
      logGroup,
      environment: {
        POSTBOX_TABLE: props.table.table.tableName,
        POSTBOX_CONSUMERS: Lazy.string({
          produce: () => stack.toJsonString(this.consumers.map(consumerEntry)),
        }),
        POSTBOX_SCHEDULE_GROUP: this.scheduleGroup.scheduleGroupName,
        POSTBOX_SCHEDULER_ROLE_ARN: this.schedulerRole.roleArn,
        NODE_OPTIONS: '--enable-source-maps',
      },
    });
    props.table.grantEngineAccess(this.dispatcherFunction);
    props.table.acknowledgeEngineGrant(role);
    Validations.of(this.dispatcherFunction).acknowledge({
      id: 'AwsSolutions::AwsSolutions-L1',
      reason: RUNTIME_REASON,
    });

    this.schedulerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [this.dispatcherFunction.functionArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['scheduler:CreateSchedule'],
        resources: [
          stack.formatArn({
            service: 'scheduler',
            resource: 'schedule',
            resourceName: `${groupName}/*`,
          }),
        ],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.schedulerRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
    // Wake-ups too near for a schedule, and hand-overs of a queue held back by its rate limit
    // (`{ postbox: 'drain', queue }`): the dispatcher invokes itself asynchronously. A policy of
    // its own, not the role's default one: the function depends on that, and this names the function.
    new iam.Policy(this, 'SelfInvoke', {
      roles: [role],
      statements: [
        new iam.PolicyStatement({
          actions: ['lambda:InvokeFunction'],
          resources: [this.dispatcherFunction.functionArn],
        }),
      ],
    });
    Validations.of(role).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${groupName}/*]`,
      reason:
        'Schedules are named by the minute they wake (postbox-<yyyymmddhhmm>) and created at run time; the grant is limited to CreateSchedule in this deployment\u2019s own schedule group.',
    });

    this.sweepRule = new events.Rule(this, 'Sweep', {
      description: 'Postbox: the minute sweep (due work, every consumer drained, queue metrics)',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [
        new targets.LambdaFunction(this.dispatcherFunction, {
          event: events.RuleTargetInput.fromObject({ postbox: 'sweep' }),
          // A missed sweep is replaced by the next one a minute later.
          retryAttempts: 0,
        }),
      ],
    });
  }

  /** Registers a consumer (already checked by the caller) and lets the dispatcher invoke its function. */
  public addConsumer(props: PostboxConsumerProps): void {
    this.consumers.push(props);
    // The unqualified function only (grantInvoke would add every version and alias, `:*`).
    this.dispatcherFunction.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.handler.functionArn] }),
    );
    this.streamMapping ??= this.addStreamSource();
  }

  private addStreamSource(): lambda.EventSourceMapping {
    const streamArn = this.table.table.tableStreamArn;
    if (!streamArn) throw new Error('The Postbox table has no stream');
    this.table.table.grantStreamRead(this.dispatcherFunction);
    if (this.dispatcherFunction.role) {
      Validations.of(this.dispatcherFunction.role).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'dynamodb:ListStreams has no resource type (IAM accepts only "*"), and Lambda checks for it when it attaches the stream; it lists stream ARNs, never data.',
      });
    }
    return new lambda.EventSourceMapping(this, 'Stream', {
      target: this.dispatcherFunction,
      eventSourceArn: streamArn,
      startingPosition: lambda.StartingPosition.LATEST,
      batchSize: 100,
      // Records of different queues (partition keys) of a shard are handled in parallel, so a
      // slow consumer holds up only its own queue's records.
      parallelizationFactor: 10,
      retryAttempts: 2,
      bisectBatchOnError: true,
      // What a stream record dropped after its retries asked for, the minute sweep does.
      maxRecordAge: Duration.hours(1),
      filters: [{ pattern: Lazy.string({ produce: () => JSON.stringify(this.streamFilter()) }) }],
    });
  }

  /** Only records the dispatcher acts on: message items of consumed queues that are ready or timed. */
  private streamFilter() {
    const queues = [...new Set(this.consumers.map((consumer) => consumer.queue))];
    return {
      eventName: ['INSERT', 'MODIFY'],
      dynamodb: {
        NewImage: {
          apk: { S: queues.map((queue) => ({ prefix: `Q#${queue}#` })) },
          ask: { S: [{ prefix: 'R' }, { prefix: 'T' }] },
        },
      },
    };
  }
}
