/**
 * The client's one way to the server: builds the URL, adds auth headers, sends with a timeout,
 * turns error answers into PostboxError, and repeats what retry.ts allows.
 */
import { errorFromAnswer, PostboxError } from './errors';
import {
  backoffMs,
  type Failure,
  mayRetry,
  RETRY_DEFAULTS,
  type Repeat,
  type RetryOptions,
  sleep,
} from './retry';

/** A request as auth sees it, to add its headers (a signature covers all of it). */
export interface OutgoingRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
}

/** Returns the headers that authenticate `request` (called once per attempt). */
export type Authorizer = (request: OutgoingRequest) => Promise<Record<string, string>>;

export interface TransportOptions {
  url: string;
  authorize: Authorizer;
  fetch: typeof fetch;
  timeoutMs: number;
  retry: RetryOptions | false;
  random?: () => number;
}

/**
 * Options every call takes besides its own.
 *
 * @example
 * ```ts
 * await client.getQueue('orders', { timeoutMs: 2_000, signal: AbortSignal.timeout(5_000) });
 * ```
 */
export interface CallOptions {
  /** Aborts the call (and its retries); the call then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Per attempt, on top of any long-poll wait of the call. @default the client's `timeoutMs` */
  timeoutMs?: number;
}

export interface Request extends CallOptions {
  method: 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  /** Path segments after the base URL, each encoded here: `['v1', 'queues', name]`. */
  path: string[];
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  repeat: Repeat;
  /** For `settle` calls: answers that mean "already done" after an attempt of unknown outcome. */
  settleCodes?: string[];
  /** Added to the timeout: the server may hold the request this long (long polls). */
  waitMs?: number;
}

export interface Answer<T> {
  status: number;
  data: T;
  /** True when an earlier attempt may have taken effect (a settle call's batch answer needs it). */
  uncertain: boolean;
}

// Socket errors that happen before a request is written: nothing reached the server.
const NOT_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'EHOSTUNREACH',
]);

/** RFC 3986 encoding (what SigV4 signs): `encodeURIComponent` leaves `!'()*` alone. */
export const rfc3986 = (text: string) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export class Transport {
  private readonly base: URL;
  /** The base URL's path without a trailing slash ('' for none). */
  private readonly basePath: string;
  private readonly retry: Required<RetryOptions>;

  constructor(private readonly options: TransportOptions) {
    this.base = new URL(options.url);
    // A base path (an API Gateway stage, a proxy prefix) is kept; a trailing slash is not.
    this.basePath = this.base.pathname.replace(/\/+$/, '');
    this.retry =
      options.retry === false
        ? { ...RETRY_DEFAULTS, maxAttempts: 1 }
        : { ...RETRY_DEFAULTS, ...definedOnly(options.retry) };
  }

  /** The URL of a request, with its path segments and query encoded. */
  url(path: string[], query: Request['query'] = {}): URL {
    const url = new URL(this.base.href);
    url.pathname = `${this.basePath}/${path.map(rfc3986).join('/')}`;
    const pairs = Object.entries(query).filter(
      (pair): pair is [string, string | number] => pair[1] !== undefined,
    );
    url.search = pairs.map(([key, value]) => `${rfc3986(key)}=${rfc3986(String(value))}`).join('&');
    return url;
  }

  async send<T>(request: Request): Promise<Answer<T>> {
    const url = this.url(request.path, request.query);
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    let uncertain = false;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt(request, url, body);
      if (!('kind' in outcome)) {
        return { status: outcome.status, data: outcome.data as T, uncertain };
      }
      const failure = outcome;
      if (
        uncertain &&
        request.repeat === 'settle' &&
        failure.kind === 'answer' &&
        request.settleCodes?.includes(failure.error.code)
      ) {
        return { status: 204, data: undefined as T, uncertain };
      }
      if (failure.kind === 'unknown') uncertain = true;
      const wait =
        attempt < this.retry.maxAttempts && mayRetry(request.repeat, failure)
          ? backoffMs(attempt, failure.error, this.retry, this.options.random)
          : undefined;
      if (wait === undefined) throw failure.error;
      await sleep(wait, request.signal);
    }
  }

  /** One try: the answer, or what went wrong. A caller's abort is thrown, never retried. */
  private async attempt(
    request: Request,
    url: URL,
    body: string | undefined,
  ): Promise<{ status: number; data: unknown } | Failure> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const timeout = AbortSignal.timeout(
      (request.timeoutMs ?? this.options.timeoutMs) + (request.waitMs ?? 0),
    );
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    try {
      request.signal?.throwIfAborted();
      const auth = await this.options.authorize({ method: request.method, url, headers, body });
      const response = await this.options.fetch(url, {
        method: request.method,
        headers: { ...headers, ...auth },
        body,
        signal,
      });
      const text = await response.text();
      if (response.ok) return { status: response.status, data: text === '' ? undefined : JSON.parse(text) };
      const error = errorFromAnswer(response.status, text, response.headers.get('retry-after'));
      // A gateway that lost its backend may have let it act: the outcome is unknown.
      const kind = response.status === 502 || response.status === 504 ? 'unknown' : 'answer';
      return { kind, error };
    } catch (error) {
      if (request.signal?.aborted) throw request.signal.reason;
      if (timeout.aborted) {
        const ms = (request.timeoutMs ?? this.options.timeoutMs) + (request.waitMs ?? 0);
        return {
          kind: 'unknown',
          error: new PostboxError(0, 'Timeout', `No answer from ${url.origin} within ${ms} ms.`, {
            cause: error,
          }),
        };
      }
      if (error instanceof PostboxError) throw error;
      if (error instanceof SyntaxError) {
        throw new PostboxError(0, 'UnexpectedResponse', 'The answer was not JSON.', { cause: error });
      }
      const code = socketCode(error);
      const reason = code ?? (error as { cause?: { message?: string } }).cause?.message;
      const message = `Cannot reach ${url.origin}${reason ? ` (${reason})` : ''}.`;
      const networkError = new PostboxError(0, 'NetworkError', message, { cause: error });
      if (code !== undefined && NOT_SENT.has(code)) return { kind: 'notSent', error: networkError };
      // Anything that is not a socket error (a bug in auth, a bad URL) is not worth repeating.
      if (!(error instanceof TypeError)) throw error;
      return { kind: 'unknown', error: networkError };
    }
  }
}

/** The socket error code behind a failed fetch (`fetch failed` → cause → code). */
function socketCode(error: unknown): string | undefined {
  let cause = (error as { cause?: unknown })?.cause;
  // Several addresses tried (happy eyeballs): an AggregateError of the same code.
  if (cause instanceof AggregateError) cause = cause.errors[0];
  const code = (cause as { code?: unknown })?.code;
  return typeof code === 'string' ? code : undefined;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
