/**
 * Logs and metrics of the dispatcher, behind a small interface so the logic does not depend on
 * Powertools and tests can look at what was reported. Nothing here ever receives a message body:
 * reports carry ids, counts and error names only.
 *
 * Metrics (namespace `Postbox`, dimension `service` = `postbox-dispatcher`, plus `Queue` where
 * named) are what the alarms and the dashboard of infra/constructs/alarms.ts read.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { BatchReport } from './dispatch';
import { type DispatcherMetric, METRICS_NAMESPACE, type QueueMetric, SERVICE_NAME } from './metric-names';

export interface Telemetry {
  info(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  queueMetric(queue: string, name: QueueMetric, value: number): void;
  metric(name: DispatcherMetric, value: number): void;
  /** Writes the metrics gathered so far (end of an invocation). */
  flush(): void;
}

export function batchTelemetry(telemetry: Telemetry): (report: BatchReport) => void {
  return (report) => {
    telemetry.queueMetric(report.queue, 'MessagesDelivered', report.messageIds.length);
    if (report.failed > 0) telemetry.queueMetric(report.queue, 'MessagesFailed', report.failed);
    if (report.outcome === 'failed') telemetry.queueMetric(report.queue, 'BatchesFailed', 1);
    if (report.expired > 0) telemetry.queueMetric(report.queue, 'ReceiptsExpired', report.expired);
    const { messageIds, ...rest } = report;
    const fields = { ...rest, messages: messageIds.length, messageIds };
    if (report.outcome === 'ok' && report.settleErrors === 0) telemetry.info('batch', fields);
    else telemetry.error('batch', fields);
  };
}

/** Powertools' JSON logger and EMF metrics. */
export function powertoolsTelemetry(): Telemetry {
  const logger = new Logger({ serviceName: SERVICE_NAME });
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
  const units: Record<QueueMetric, (typeof MetricUnit)[keyof typeof MetricUnit]> = {
    MessagesDelivered: MetricUnit.Count,
    MessagesFailed: MetricUnit.Count,
    BatchesFailed: MetricUnit.Count,
    ReceiptsExpired: MetricUnit.Count,
    ReadyMessages: MetricUnit.Count,
    DeadLetterMessages: MetricUnit.Count,
    OldestMessageAgeSeconds: MetricUnit.Seconds,
  };
  return {
    info: (message, fields) => logger.info(message, fields ?? {}),
    error: (message, fields) => logger.error(message, fields ?? {}),
    queueMetric: (queue, name, value) => {
      // One EMF document per queue value: a dimension applies to a whole document.
      const single = metrics.singleMetric();
      single.addDimension('Queue', queue);
      single.addMetric(name, units[name], value);
    },
    metric: (name, value) => metrics.addMetric(name, MetricUnit.Count, value),
    flush: () => metrics.publishStoredMetrics(),
  };
}

/** Collects everything in memory (tests). */
export function memoryTelemetry() {
  const logs: { level: 'info' | 'error'; message: string; fields?: Record<string, unknown> }[] = [];
  const metrics: { name: string; value: number; queue?: string }[] = [];
  const telemetry: Telemetry = {
    info: (message, fields) => logs.push({ level: 'info', message, fields }),
    error: (message, fields) => logs.push({ level: 'error', message, fields }),
    queueMetric: (queue, name, value) => metrics.push({ name, value, queue }),
    metric: (name, value) => metrics.push({ name, value }),
    flush: () => undefined,
  };
  return { telemetry, logs, metrics };
}
