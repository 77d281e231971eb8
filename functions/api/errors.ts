/**
 * The one map from errors to HTTP answers. Engine errors (PostboxError) carry the contract's code;
 * HttpError covers what only the HTTP layer can say (InvalidJson, Unauthorized, NotFound, …);
 * store throttling and outages become 503 ServiceUnavailable; anything else is a bug: logged, and
 * answered with a 500 that says nothing internal.
 */
import { type ErrorCode, PayloadTooLargeError, PostboxError, ServiceUnavailableError } from '../core/errors';

export type HttpErrorCode = 'InvalidJson' | 'Unauthorized' | 'Forbidden' | 'NotFound' | 'MethodNotAllowed';

/** An error only the HTTP layer can raise; it carries its own status and headers. */
export class HttpError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405,
    readonly code: HttpErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const invalidJson = (message: string) => new HttpError(400, 'InvalidJson', message);

/**
 * A request refused for its size before its body was read to the end: the rest of the body is
 * still on the connection, so the connection cannot carry another request (`Connection: close`
 * keeps clients from reusing it).
 */
export class RequestTooLargeError extends PayloadTooLargeError {
  readonly headers = { Connection: 'close' };
}

export type ErrorStatus = 400 | 401 | 403 | 404 | 405 | 409 | 413 | 429 | 500 | 503;

export interface ErrorAnswer {
  status: ErrorStatus;
  code: string;
  message: string;
  headers: Record<string, string>;
  /** True when the error is a bug (or unknown) and must be logged. */
  unexpected: boolean;
}

const STATUS_OF: Record<ErrorCode, ErrorStatus> = {
  ValidationError: 400,
  InvalidReceipt: 400,
  QueueNotFound: 404,
  TopicNotFound: 404,
  MessageNotFound: 404,
  NotFound: 404,
  ReceiptExpired: 409,
  Conflict: 409,
  PayloadTooLarge: 413,
  QueueFull: 429,
  ServiceUnavailable: 503,
};

// DynamoDB answers that mean "busy or briefly unable", after the SDK's own retries.
const TRANSIENT_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TransactionConflictException',
  'TransactionInProgressException',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);
// Reasons inside a TransactionCanceledException that are the store's load, not our conditions.
const TRANSIENT_CANCELLATIONS = new Set([
  'ThrottlingError',
  'ProvisionedThroughputExceeded',
  'TransactionConflict',
]);
// Node's socket errors: the store is unreachable.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
]);

interface SdkLikeError {
  name?: unknown;
  code?: unknown;
  $fault?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  CancellationReasons?: { Code?: unknown }[];
  cause?: unknown;
}

/** True for AWS SDK / socket errors that mean the store is throttling or unreachable. */
export function isStoreUnavailable(error: unknown): boolean {
  // Walk a short cause chain: the engine or the SDK may wrap the socket error.
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const e = current as SdkLikeError;
    if (typeof e.name === 'string' && TRANSIENT_NAMES.has(e.name)) return true;
    if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
    if (e.$fault === 'server' || e.$retryable) return true;
    const status = e.$metadata?.httpStatusCode;
    if (typeof status === 'number' && status >= 500) return true;
    if (
      e.name === 'TransactionCanceledException' &&
      Array.isArray(e.CancellationReasons) &&
      e.CancellationReasons.some((reason) => TRANSIENT_CANCELLATIONS.has(String(reason?.Code)))
    ) {
      return true;
    }
    current = e.cause;
  }
  return false;
}

const retryAfter = (seconds: number) => ({ 'Retry-After': String(Math.max(1, Math.ceil(seconds))) });

/** Classifies any thrown value into the answer the contract prescribes. */
export function toErrorAnswer(error: unknown): ErrorAnswer {
  if (error instanceof HttpError) {
    const { status, code, message, headers } = error;
    return { status, code, message, headers, unexpected: false };
  }
  if (error instanceof PostboxError) {
    const seconds = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
    const headers =
      error.code === 'QueueFull' || error.code === 'ServiceUnavailable'
        ? retryAfter(typeof seconds === 'number' ? seconds : 1)
        : error instanceof RequestTooLargeError
          ? error.headers
          : {};
    return {
      status: STATUS_OF[error.code],
      code: error.code,
      message: error.message,
      headers,
      unexpected: false,
    };
  }
  if (isStoreUnavailable(error)) {
    const unavailable = new ServiceUnavailableError();
    return {
      status: 503,
      code: unavailable.code,
      message: unavailable.message,
      headers: retryAfter(unavailable.retryAfterSeconds),
      unexpected: false,
    };
  }
  return {
    status: 500,
    code: 'InternalError',
    message: 'Something went wrong on our side; the request may be retried.',
    headers: {},
    unexpected: true,
  };
}

/**
 * Logs an unexpected error: its name, message and stack, and where it happened. Never the
 * request or message bodies, which belong to the users.
 */
export function logUnexpected(error: unknown, where: { method: string; path: string }): void {
  const e = error instanceof Error ? error : new Error(String(typeof error));
  console.error(
    JSON.stringify({
      level: 'error',
      message: 'Unexpected error while answering a request',
      method: where.method,
      path: where.path,
      error: { name: e.name, message: e.message, stack: e.stack },
    }),
  );
}

/** The contract's error body. */
export const errorBody = (code: string, message: string) => ({ error: { code, message } });
