/**
 * The store boundary: the one place that talks to DynamoDB. Conditional-check failures become
 * values the callers turn into domain errors; throttling and unreachability become
 * ServiceUnavailableError; everything else is rethrown as it is.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { ServiceUnavailableError } from './errors';

export type Item = Record<string, unknown>;
export type Key = { pk: string; sk: string };

// biome-ignore lint/suspicious/noExplicitAny: the SDK's Command types are generic over many shapes.
type AnyCommand = any;

const UNAVAILABLE = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

/** True for faults that a later retry may clear: throttling, timeouts, connection failures. */
export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (UNAVAILABLE.has(error.name)) return true;
  const code = (error as { code?: string }).code;
  return (
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === 'ETIMEDOUT' ||
    code === 'EPIPE' ||
    (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 503
  );
}

// Cancellation reasons that are the store's load, not a condition: nothing was written.
const THROTTLED_REASONS = new Set(['ThrottlingError', 'ProvisionedThroughputExceeded']);

/**
 * A transaction DynamoDB cancelled because a partition it writes is over its limit (and for no
 * condition). The SDK does not retry these (TransactionCanceledException is not a throttling
 * error to it), so the store does, like the SDK retries a throttled single write.
 */
export function isThrottledCancellation(error: unknown): boolean {
  if (!(error instanceof TransactionCanceledException)) return false;
  const codes = (error.CancellationReasons ?? []).map((reason) => String(reason.Code));
  return codes.some((code) => THROTTLED_REASONS.has(code)) && !codes.includes('ConditionalCheckFailed');
}

/** Attempts of a transaction cancelled for throttling, the SDK's default for throttled requests. */
const THROTTLED_TRANSACTION_ATTEMPTS = 3;
/** Full-jitter backoff after a throttled transaction, as the SDK's for throttling (500 ms base). */
const throttledBackoffMs = (attempt: number) => Math.random() * Math.min(20_000, 500 * 2 ** (attempt - 1));

export class Store {
  constructor(
    readonly client: DynamoDBClient,
    readonly tableName: string,
  ) {}

  async send<T>(command: AnyCommand): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.client.send(command)) as T;
      } catch (error) {
        const throttled = isThrottledCancellation(error);
        if (throttled && attempt < THROTTLED_TRANSACTION_ATTEMPTS) {
          await sleep(throttledBackoffMs(attempt));
          continue;
        }
        if (throttled || isUnavailable(error)) throw new ServiceUnavailableError(undefined, { cause: error });
        throw error;
      }
    }
  }
}

export const toAttributes = (item: object): Record<string, AttributeValue> =>
  marshall(item, { removeUndefinedValues: true, convertClassInstanceToMap: false });

export const fromAttributes = (attributes: Record<string, AttributeValue> | undefined): Item | undefined =>
  attributes ? unmarshall(attributes) : undefined;

export interface Cancellation {
  /** Index of the first action whose condition failed, or -1. */
  failedIndex: number;
  /** The old item of that action, when it asked for it. */
  oldItem: Item | undefined;
  /** Some action met a concurrent transaction: the whole thing may simply be retried. */
  conflict: boolean;
}

/**
 * What a failed store request means, decided here and nowhere else:
 * - `condition`: a single write's condition failed (`oldItem` when it asked for ALL_OLD);
 * - `cancelled`: a transaction was cancelled (a condition or a concurrent transaction);
 * - `unavailable`: throttling (a transaction cancelled for it too), a timeout, an unreachable
 *   store (a retry may clear it);
 * - `other`: anything else (a bug or a bad request): callers rethrow it as it is.
 */
export type StoreFault =
  | { kind: 'condition'; oldItem: Item | undefined }
  | ({ kind: 'cancelled' } & Cancellation)
  | { kind: 'unavailable' }
  | { kind: 'other' };

export function classify(error: unknown): StoreFault {
  if (error instanceof ConditionalCheckFailedException) {
    return { kind: 'condition', oldItem: fromAttributes(error.Item) };
  }
  if (isThrottledCancellation(error)) return { kind: 'unavailable' };
  if (error instanceof TransactionCanceledException) {
    const reasons = error.CancellationReasons ?? [];
    const failedIndex = reasons.findIndex((reason) => reason.Code === 'ConditionalCheckFailed');
    return {
      kind: 'cancelled',
      failedIndex,
      oldItem: failedIndex >= 0 ? fromAttributes(reasons[failedIndex]?.Item) : undefined,
      conflict: reasons.some((reason) => reason.Code === 'TransactionConflict'),
    };
  }
  if (error instanceof ServiceUnavailableError || isUnavailable(error)) return { kind: 'unavailable' };
  return { kind: 'other' };
}

export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
