/**
 * One batch of one consumer, the same in AWS and locally:
 *
 *   claim    engine.receive(queue, maxMessages = batchSize, ack manual, the consumer's visibility timeout)
 *   invoke   the handler with an SQS-shaped event (sqs-event.ts), through an injected invoker:
 *            Lambda Invoke in AWS (invoke-lambda.ts), a module function locally (local/consumers.ts)
 *   settle   ack the successes in one ackBatch; release each failure with a backoff delay, so the
 *            queue's maxReceiveCount and dead-letter queue apply exactly as for any consumer
 *
 * What failed, as for an SQS event source with ReportBatchItemFailures: a thrown error (or a
 * Lambda FunctionError) fails the whole batch; an answer `{ batchItemFailures: [{ itemIdentifier }] }`
 * fails the listed messages only; an answer that lists an unknown or empty identifier fails the
 * whole batch; no answer, or an empty list, is complete success.
 */
import type { SQSEvent } from 'aws-lambda';
import type { Clock, Engine } from '../core/engine';
import { ReceiptExpiredError, ServiceUnavailableError } from '../core/errors';
import { sleep } from '../core/store';
import type { DeliveredMessage } from '../core/types';
import { type Consumer, consumerId } from './consumer';
import { toSqsEvent } from './sqs-event';

/** Runs the consumer's handler on one event: resolves with its answer, rejects when it failed. */
export type Invoker = (consumer: Consumer, event: SQSEvent) => Promise<unknown>;

/** How one batch went; given to the observer (logs and metrics), never holding a message body. */
export interface BatchReport {
  consumer: string;
  queue: string;
  messageIds: string[];
  outcome: 'ok' | 'partial' | 'failed';
  /** Messages the handler failed (all of them when the whole batch failed). */
  failed: number;
  acked: number;
  released: number;
  /** Receipts that no longer held their message when settled (the lease ended and it moved on). */
  expired: number;
  /** Acks or releases the store refused for another reason; those messages come back by lease expiry. */
  settleErrors: number;
  /** Why the whole batch failed, when it did (the error's name and message, never a body). */
  error?: string;
  /** Highest receiveCount in the batch. */
  maxReceiveCount: number;
  durationMs: number;
}

export interface DispatchDeps {
  engine: Engine;
  invoke: Invoker;
  /** Region and account the records name (`awsRegion`, `eventSourceARN`). */
  source: { region: string; account: string };
  /** @default Date.now */
  clock?: Clock;
  /** Delay before a failed message is offered again. @default {@link retryDelaySeconds} */
  retryDelay?: (receiveCount: number) => number;
  /** Told about every batch. @default - nothing */
  onBatch?: (report: BatchReport) => void;
}

/** Exponential backoff for failed messages: 2, 4, 8 … s after the 1st, 2nd, 3rd … receive, at most 15 min. */
export const retryDelaySeconds = (receiveCount: number) => Math.min(900, 2 ** Math.max(1, receiveCount));

/** Claims up to `batchSize` messages for the consumer (a long poll when `waitSeconds` > 0). */
export function claimBatch(
  engine: Engine,
  consumer: Consumer,
  options: { waitSeconds?: number; signal?: AbortSignal } = {},
): Promise<DeliveredMessage[]> {
  return engine.receive(consumer.queue, {
    maxMessages: consumer.batchSize,
    visibilityTimeoutSeconds: consumer.visibilityTimeoutSeconds,
    ack: 'manual',
    waitSeconds: options.waitSeconds ?? 0,
    signal: options.signal,
  });
}

/**
 * Which messages failed, read from the handler's answer the way Lambda reads it for SQS:
 * a set of message ids, or 'all'.
 */
export function failedMessages(answer: unknown, messageIds: readonly string[]): Set<string> | 'all' {
  if (answer === null || typeof answer !== 'object') return new Set();
  const failures = (answer as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return 'all';
  const known = new Set(messageIds);
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !known.has(id)) return 'all';
    failed.add(id);
  }
  return failed;
}

/** Invokes the handler on a claimed batch and settles every message of it. Never throws. */
export async function processBatch(
  deps: DispatchDeps,
  consumer: Consumer,
  messages: DeliveredMessage[],
): Promise<BatchReport> {
  const clock = deps.clock ?? Date.now;
  const started = clock();
  const messageIds = messages.map((message) => message.id);
  let failed: Set<string> | 'all';
  let error: string | undefined;
  try {
    const event = toSqsEvent(messages, { ...deps.source, queue: consumer.queue }, started);
    failed = failedMessages(await deps.invoke(consumer, event), messageIds);
  } catch (thrown) {
    failed = 'all';
    error = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
  }
  const isFailed = (message: DeliveredMessage) => failed === 'all' || failed.has(message.id);
  const failures = messages.filter(isFailed);
  const [acks, releases] = await Promise.all([
    ackAll(
      deps.engine,
      consumer.queue,
      messages.filter((message) => !isFailed(message)),
    ),
    releaseAll(deps, consumer.queue, failures),
  ]);
  const report: BatchReport = {
    consumer: consumerId(consumer),
    queue: consumer.queue,
    messageIds,
    outcome: failed === 'all' ? 'failed' : failed.size > 0 ? 'partial' : 'ok',
    failed: failures.length,
    acked: acks.done,
    released: releases.done,
    expired: acks.expired + releases.expired,
    settleErrors: acks.errors + releases.errors,
    ...(error !== undefined ? { error } : {}),
    maxReceiveCount: Math.max(0, ...messages.map((message) => message.receiveCount)),
    durationMs: clock() - started,
  };
  deps.onBatch?.(report);
  return report;
}

interface Settled {
  done: number;
  expired: number;
  errors: number;
}

/** Attempts of an ack the store refused for its load: the handler's work is done, keep it done. */
const ACK_ATTEMPTS = 6;
const ackBackoffMs = (attempt: number) => Math.random() * Math.min(2_000, 100 * 2 ** attempt);

async function ackAll(engine: Engine, queue: string, messages: DeliveredMessage[]): Promise<Settled> {
  const settled: Settled = { done: 0, expired: 0, errors: 0 };
  let pending = messages.map((message) => message.receipt as string);
  // A throttled ack is tried again while the leases hold: given up, the messages would come
  // back when their leases end and the handler would do them twice.
  for (let attempt = 0; pending.length > 0; attempt++) {
    const last = attempt === ACK_ATTEMPTS - 1;
    let again: string[] = [];
    try {
      const results = await engine.ackBatch(queue, pending);
      results.forEach((result, i) => {
        const error = result.ok ? undefined : result.error;
        if (error instanceof ServiceUnavailableError && !last) again.push(pending[i] as string);
        else count(settled, error);
      });
    } catch (error) {
      if (error instanceof ServiceUnavailableError && !last) again = pending;
      // The store failed the whole request: the leases end by themselves and the messages return.
      else settled.errors += pending.length;
    }
    pending = again;
    if (pending.length > 0) await sleep(ackBackoffMs(attempt));
  }
  return settled;
}

async function releaseAll(deps: DispatchDeps, queue: string, messages: DeliveredMessage[]): Promise<Settled> {
  const settled: Settled = { done: 0, expired: 0, errors: 0 };
  const delay = deps.retryDelay ?? retryDelaySeconds;
  await Promise.all(
    messages.map(async (message) => {
      try {
        await deps.engine.release(queue, message.receipt as string, delay(message.receiveCount));
        count(settled, undefined);
      } catch (error) {
        count(settled, error);
      }
    }),
  );
  return settled;
}

function count(settled: Settled, error: unknown): void {
  if (error === undefined) settled.done++;
  else if (error instanceof ReceiptExpiredError) settled.expired++;
  else settled.errors++;
}
