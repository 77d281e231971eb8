/**
 * The CLI's exit codes: what happened, for scripts (documented in `postbox --help`).
 */
import { PostboxError } from '../src/errors';

export const EXIT = {
  /** Done. */
  ok: 0,
  /** Usage error or input the server refused (400, 413). */
  usage: 1,
  /** The queue, topic or message does not exist (404). */
  notFound: 2,
  /** Conflict: the receipt expired, or the change conflicts with the state (409). */
  conflict: 3,
  /** Try again later: the queue is full, the service is unavailable or unreachable (429, 503, network). */
  unavailable: 4,
  /** Anything else: not authorized (401, 403), a server error (500), a bug. */
  other: 5,
} as const;

export const EXIT_CODES_HELP = `Exit codes:
  0  done
  1  usage error, or input the server refused (400, 413)
  2  not found: queue, topic or message (404)
  3  conflict: receipt expired, or a change that conflicts with the state (409)
  4  try again later: queue full, service unavailable or unreachable (429, 503, network, timeout)
  5  anything else: not authorized (401, 403), server error (500)`;

/** The exit code of an HTTP status (0 for no answer). */
export function exitCodeOfStatus(status: number): number {
  if (status === 400 || status === 413 || status === 405) return EXIT.usage;
  if (status === 404) return EXIT.notFound;
  if (status === 409) return EXIT.conflict;
  if (status === 0 || status === 429 || status === 502 || status === 503 || status === 504)
    return EXIT.unavailable;
  return EXIT.other;
}

const STATUS_OF_CODE: Record<string, number> = {
  InvalidJson: 400,
  ValidationError: 400,
  InvalidReceipt: 400,
  PayloadTooLarge: 413,
  QueueNotFound: 404,
  TopicNotFound: 404,
  MessageNotFound: 404,
  NotFound: 404,
  ReceiptExpired: 409,
  Conflict: 409,
  QueueFull: 429,
  ServiceUnavailable: 503,
};

/** The exit code of an error code found in a batch answer's entry. */
export const exitCodeOfCode = (code: string): number => exitCodeOfStatus(STATUS_OF_CODE[code] ?? 500);

/** The exit code of anything a command threw. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof PostboxError) return exitCodeOfStatus(error.status);
  if (error instanceof UsageError) return EXIT.usage;
  return EXIT.other;
}

/** A mistake in the command line that commander cannot see (a missing body, a bad --attr). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
