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

export class Store {
  constructor(
    readonly client: DynamoDBClient,
    readonly tableName: string,
  ) {}

  async send<T>(command: AnyCommand): Promise<T> {
    try {
      return (await this.client.send(command)) as T;
    } catch (error) {
      if (isUnavailable(error)) throw new ServiceUnavailableError(undefined, { cause: error });
      throw error;
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
 * - `unavailable`: throttling, a timeout, an unreachable store (a retry may clear it);
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
