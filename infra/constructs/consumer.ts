/**
 * The props of an event-driven consumer (`Postbox.addConsumer`) and their checks: the same
 * option names and limits as the local consumer configuration (functions/dispatcher/consumer.ts),
 * plus what only CDK can check (the handler's timeout against the lease).
 */
import { Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import {
  CONSUMER_DEFAULTS,
  type Consumer,
  type ConsumerOptions,
  checkConsumerOptions,
} from '../../functions/dispatcher/consumer';

/** Options for {@link Postbox.addConsumer}. */
export interface PostboxConsumerProps extends ConsumerOptions {
  /** The queue to consume. It must exist when messages arrive (create it with `PUT /v1/queues/{queue}`). */
  readonly queue: string;
  /**
   * The function invoked with an SQS-shaped event (`Records[]`), as for an SQS event source;
   * answer `{ batchItemFailures: [{ itemIdentifier }] }` to fail single messages.
   */
  readonly handler: lambda.IFunction;
}

/** Every problem with a consumer's props, tokens skipped (an empty list when fine). */
export function checkConsumerProps(
  props: PostboxConsumerProps,
  existing: readonly PostboxConsumerProps[],
): string[] {
  const concrete = (value: number | undefined) =>
    value !== undefined && Token.isUnresolved(value) ? undefined : value;
  const problems = checkConsumerOptions({
    queue: Token.isUnresolved(props.queue) ? 'token' : props.queue,
    batchSize: concrete(props.batchSize),
    concurrency: concrete(props.concurrency),
    visibilityTimeoutSeconds: concrete(props.visibilityTimeoutSeconds),
  });
  const lease = props.visibilityTimeoutSeconds ?? CONSUMER_DEFAULTS.visibilityTimeoutSeconds;
  const timeout = props.handler instanceof lambda.Function ? props.handler.timeout : undefined;
  if (timeout && !timeout.isUnresolved() && !Token.isUnresolved(lease) && timeout.toSeconds() > lease) {
    problems.push(
      `visibilityTimeoutSeconds (${lease}) must be at least the handler's timeout (${timeout.toSeconds()} s), or a slow batch is delivered twice`,
    );
  }
  if (existing.some((other) => other.queue === props.queue && other.handler === props.handler)) {
    problems.push(`this handler already consumes ${props.queue}`);
  }
  return problems;
}

/** What the dispatcher's POSTBOX_CONSUMERS entry holds for one consumer. */
export function consumerEntry(props: PostboxConsumerProps): Consumer {
  return {
    queue: props.queue,
    handler: props.handler.functionArn,
    batchSize: props.batchSize ?? CONSUMER_DEFAULTS.batchSize,
    concurrency: props.concurrency ?? CONSUMER_DEFAULTS.concurrency,
    visibilityTimeoutSeconds: props.visibilityTimeoutSeconds ?? CONSUMER_DEFAULTS.visibilityTimeoutSeconds,
  };
}
