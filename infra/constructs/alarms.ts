/**
 * What an operator watches: alarms on function errors and throttles (the api function, the
 * dispatcher, every consumer function), on dead letters and on the age of the oldest waiting
 * message of every consumed queue, and one CloudWatch dashboard with the same metrics.
 *
 * The queue metrics come from the dispatcher's minute sweep (EMF, namespace `Postbox`,
 * dimensions `service` and `Queue`; functions/dispatcher/telemetry.ts).
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, type QueueMetric, SERVICE_NAME } from '../../functions/dispatcher/metric-names';

/** Options for {@link PostboxAlarms}. */
export interface PostboxAlarmsProps {
  /** Where alarms send their notifications. @default - none: the alarms show in the console only */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Alarm when the oldest ready message of a consumed queue has waited longer than this.
   * @default Duration.minutes(15)
   */
  readonly oldestMessageAge?: Duration;
}

/**
 * Alarms and a dashboard for a Postbox deployment; {@link Postbox} creates it and adds every
 * consumer to it.
 *
 * @example
 * const alarms = new PostboxAlarms(this, 'Alarms', { alarmTopic: opsTopic });
 * alarms.watchFunction('Api', apiFunction);
 * alarms.watchConsumer('orders', ordersFunction);
 */
export class PostboxAlarms extends Construct {
  /** Every alarm, by a readable name such as `orders DeadLetters`. */
  public readonly alarms = new Map<string, cloudwatch.Alarm>();
  public readonly dashboard: cloudwatch.Dashboard;
  private readonly props: PostboxAlarmsProps;

  constructor(scope: Construct, id: string, props: PostboxAlarmsProps = {}) {
    super(scope, id);
    this.props = props;
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${Stack.of(this).stackName}-postbox`,
    });
  }

  /** Errors and throttles of one function, as alarms and a dashboard row. */
  public watchFunction(name: string, fn: lambda.IFunction): void {
    const errors = fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' });
    const throttles = fn.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' });
    this.alarm(`${name} Errors`, errors, 1, `${name}: function errors`);
    this.alarm(`${name} Throttles`, throttles, 1, `${name}: throttled invocations`);
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: `${name}: invocations and errors`,
        left: [fn.metricInvocations(), errors],
      }),
      new cloudwatch.GraphWidget({ title: `${name}: duration`, left: [fn.metricDuration()] }),
      new cloudwatch.GraphWidget({ title: `${name}: throttles`, left: [throttles] }),
    );
  }

  /** A consumed queue and its handler: dead letters, oldest message age, handler errors and throttles. */
  public watchConsumer(queue: string, handler: lambda.IFunction): void {
    const dead = queueMetric(queue, 'DeadLetterMessages', 'Maximum');
    const oldest = queueMetric(queue, 'OldestMessageAgeSeconds', 'Maximum');
    const maxAge = (this.props.oldestMessageAge ?? Duration.minutes(15)).toSeconds();
    this.alarm(`${queue} DeadLetters`, dead, 1, `${queue}: messages in its dead-letter queue`);
    this.alarm(
      `${queue} OldestMessageAge`,
      oldest,
      maxAge,
      `${queue}: oldest ready message waited over ${maxAge} s`,
    );
    this.watchFunction(`${queue} consumer`, handler);
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: `${queue}: delivered and failed`,
        left: [queueMetric(queue, 'MessagesDelivered', 'Sum'), queueMetric(queue, 'MessagesFailed', 'Sum')],
      }),
      new cloudwatch.GraphWidget({
        title: `${queue}: backlog`,
        left: [queueMetric(queue, 'ReadyMessages', 'Maximum'), dead],
        right: [oldest],
      }),
    );
  }

  private alarm(name: string, metric: cloudwatch.IMetric, threshold: number, description: string): void {
    const alarm = new cloudwatch.Alarm(this, name.replace(/[^A-Za-z0-9]/g, ''), {
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No data is good news here: no errors, no sweep report of a dead letter.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `Postbox ${description}`,
    });
    if (this.props.alarmTopic) alarm.addAlarmAction(new actions.SnsAction(this.props.alarmTopic));
    this.alarms.set(name, alarm);
  }
}

function queueMetric(queue: string, name: QueueMetric, statistic: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { service: SERVICE_NAME, Queue: queue },
    statistic,
    period: Duration.minutes(5),
  });
}
