/**
 * The engine's error tree. Every error a caller can cause carries the contract's `code`;
 * the API maps them to HTTP in one place (functions/api/errors.ts). Anything not a
 * PostboxError is a bug or an infrastructure fault.
 */

export type ErrorCode =
  | 'ValidationError'
  | 'InvalidReceipt'
  | 'QueueNotFound'
  | 'TopicNotFound'
  | 'MessageNotFound'
  | 'NotFound'
  | 'ReceiptExpired'
  | 'Conflict'
  | 'PayloadTooLarge'
  | 'QueueFull'
  | 'ServiceUnavailable';

export class PostboxError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export class ValidationError extends PostboxError {
  constructor(message: string, options?: ErrorOptions) {
    super('ValidationError', message, options);
  }
}

export class InvalidReceiptError extends PostboxError {
  constructor(message = 'The receipt is malformed or was issued for another queue.') {
    super('InvalidReceipt', message);
  }
}

export class QueueNotFoundError extends PostboxError {
  readonly queue: string;
  constructor(queue: string) {
    super('QueueNotFound', `Queue '${queue}' does not exist.`);
    this.queue = queue;
  }
}

export class TopicNotFoundError extends PostboxError {
  constructor(topic: string) {
    super('TopicNotFound', `Topic '${topic}' does not exist.`);
  }
}

export class MessageNotFoundError extends PostboxError {
  constructor(queue: string, id: string) {
    super('MessageNotFound', `Message '${id}' does not exist in queue '${queue}'.`);
  }
}

export class ReceiptExpiredError extends PostboxError {
  constructor() {
    super(
      'ReceiptExpired',
      'The receipt no longer holds its message: it was received again, released, acked, deleted or purged.',
    );
  }
}

export class ConflictError extends PostboxError {
  constructor(message: string) {
    super('Conflict', message);
  }
}

export class PayloadTooLargeError extends PostboxError {
  constructor(message: string) {
    super('PayloadTooLarge', message);
  }
}

export class QueueFullError extends PostboxError {
  /** Whole seconds after which a retry may find room. */
  readonly retryAfterSeconds: number;
  constructor(queue: string, retryAfterSeconds = 1) {
    super('QueueFull', `Queue '${queue}' is full (maxMessages reached).`);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The store is throttling or unreachable after the SDK's own retries. */
export class ServiceUnavailableError extends PostboxError {
  readonly retryAfterSeconds: number;
  constructor(message = 'The store is busy or unreachable; retry later.', options?: ErrorOptions) {
    super('ServiceUnavailable', message, options);
    this.retryAfterSeconds = 1;
  }
}
