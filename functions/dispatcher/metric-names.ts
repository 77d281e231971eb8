/** The names the dispatcher's metrics go by; infra/ builds its alarms and dashboard from them. */
export const METRICS_NAMESPACE = 'Postbox';
export const SERVICE_NAME = 'postbox-dispatcher';

export type QueueMetric =
  | 'MessagesDelivered'
  | 'MessagesFailed'
  | 'BatchesFailed'
  | 'ReceiptsExpired'
  | 'ReadyMessages'
  | 'DeadLetterMessages'
  | 'OldestMessageAgeSeconds';
export type DispatcherMetric =
  | 'SchedulesCreated'
  | 'ImmediateWakes'
  | 'DispatchErrors'
  /** Messages published by recurring schedules' firings in a sweep. */
  | 'ScheduledMessages'
  /** Drain invocations started for a queue held back by its rate limit (dispatcher.ts). */
  | 'RateHandOvers';
