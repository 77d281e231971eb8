/**
 * One error class for everything a call can fail with: the contract's error answers
 * (`{"error": {"code", "message"}}`, docs/api.md "Conventions"), answers in another shape
 * (API Gateway's own 403/429/5xx bodies), network failures and timeouts.
 */

/** The contract's error codes (docs/api.md), plus the client's own for failures without an answer. */
export type PostboxErrorCode =
  | 'InvalidJson'
  | 'ValidationError'
  | 'InvalidReceipt'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'QueueNotFound'
  | 'TopicNotFound'
  | 'MessageNotFound'
  | 'MethodNotAllowed'
  | 'ReceiptExpired'
  | 'Conflict'
  | 'PayloadTooLarge'
  | 'QueueFull'
  | 'InternalError'
  | 'ServiceUnavailable'
  /** No answer: the connection failed or broke (`status` 0). */
  | 'NetworkError'
  /** No answer within the call's timeout (`status` 0). */
  | 'Timeout'
  /** An answer whose body was not the contract's shape, e.g. an API Gateway 502. */
  | 'UnexpectedResponse';

/** What a status means when the body names no code (API Gateway's own answers). */
const CODE_OF_STATUS: Record<number, PostboxErrorCode> = {
  400: 'ValidationError',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  413: 'PayloadTooLarge',
  429: 'QueueFull',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

export interface PostboxErrorOptions extends ErrorOptions {
  /** Whole seconds from the `Retry-After` header, when the answer had one. */
  retryAfterSeconds?: number;
}

/**
 * A failed call. `status` is the HTTP status (0 when there was no answer), `code` the contract's
 * error code, `message` the server's explanation for a person.
 *
 * @example
 * ```ts
 * try {
 *   await client.ack('orders', receipt);
 * } catch (error) {
 *   if (error instanceof PostboxError && error.code === 'ReceiptExpired') {
 *     // the lease was lost: another consumer has the message now
 *   } else throw error;
 * }
 * ```
 */
export class PostboxError extends Error {
  override readonly name = 'PostboxError';
  /** Seconds the server asked to wait before trying again (`Retry-After`; 429 and 503). */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    readonly status: number,
    readonly code: PostboxErrorCode | (string & {}),
    message: string,
    options: PostboxErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** True for an error answer of this status, or of one of these codes. */
  is(...codes: (PostboxErrorCode | number)[]): boolean {
    return codes.some((code) => code === this.code || code === this.status);
  }
}

/** The body of an error answer, whatever shape it has, as a PostboxError. */
export function errorFromAnswer(status: number, text: string, retryAfter: string | null): PostboxError {
  let code: string | undefined;
  let message: string | undefined;
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown }; message?: unknown };
    if (typeof body?.error?.code === 'string') code = body.error.code;
    if (typeof body?.error?.message === 'string') message = body.error.message;
    // API Gateway's own answers: {"message": "Forbidden"}.
    else if (typeof body?.message === 'string') message = body.message;
  } catch {
    // not JSON: keep the status's meaning
  }
  return new PostboxError(
    status,
    code ?? CODE_OF_STATUS[status] ?? 'UnexpectedResponse',
    message ?? (text.trim().slice(0, 200) || `HTTP ${status}`),
    { retryAfterSeconds: parseRetryAfter(retryAfter) },
  );
}

/** `Retry-After` as whole seconds (a number, or an HTTP date); undefined when absent or bad. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(header)) return Number(header);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}
