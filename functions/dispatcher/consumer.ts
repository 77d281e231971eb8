/**
 * A consumer: which queue, which handler, and the three options every consumer has, with the
 * same names everywhere (CDK `addConsumer`, the local configuration, the client's `consume`):
 * `batchSize`, `concurrency`, `visibilityTimeoutSeconds`. Defaults merge here and nowhere else.
 */

/** The options of a consumer, as a user writes them. */
export interface ConsumerOptions {
  /** Messages handed to one invocation, 1–10. @default 10 */
  readonly batchSize?: number;
  /** Batches of this consumer in flight at once, 1–1000. @default 1 */
  readonly concurrency?: number;
  /**
   * The lease taken for each batch, 1–43,200 s. Make it longer than the handler may run: a lease
   * that ends while the handler works makes the message deliverable again. @default 30
   */
  readonly visibilityTimeoutSeconds?: number;
}

/** A consumer with its defaults filled in. */
export interface Consumer extends Required<ConsumerOptions> {
  readonly queue: string;
  /** What the invoker calls: a Lambda function name or ARN, or a local module reference. */
  readonly handler: string;
}

export const CONSUMER_DEFAULTS = { batchSize: 10, concurrency: 1, visibilityTimeoutSeconds: 30 } as const;

/** Queue names as the contract (docs/api.md) allows them. */
export const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;

export const LIMITS = {
  batchSize: { min: 1, max: 10 },
  concurrency: { min: 1, max: 1000 },
  visibilityTimeoutSeconds: { min: 1, max: 43_200 },
} as const;

/**
 * Every problem with one consumer's options, each naming its field (an empty list when fine).
 * Values that are not plain numbers (e.g. unresolved CDK tokens) are the caller's to skip.
 */
export function checkConsumerOptions(options: ConsumerOptions & { queue?: unknown }): string[] {
  const problems: string[] = [];
  if (typeof options.queue !== 'string' || !QUEUE_NAME.test(options.queue)) {
    problems.push(`queue must match ${QUEUE_NAME} (got ${JSON.stringify(options.queue)})`);
  }
  for (const field of Object.keys(LIMITS) as (keyof typeof LIMITS)[]) {
    const value = options[field];
    if (value === undefined) continue;
    const { min, max } = LIMITS[field];
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${field} must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})`);
    }
  }
  return problems;
}

/** Fills in the defaults; throws with every problem at once. */
export function toConsumer(queue: string, handler: string, options: ConsumerOptions = {}): Consumer {
  const problems = checkConsumerOptions({ ...options, queue });
  if (problems.length > 0) throw new Error(`Invalid consumer for ${queue}: ${problems.join('; ')}`);
  return { queue, handler, ...CONSUMER_DEFAULTS, ...definedOnly(options) };
}

function definedOnly(options: ConsumerOptions): ConsumerOptions {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}

/** A stable name for logs, metrics and the slot counter: the queue and the handler. */
export const consumerId = (consumer: Pick<Consumer, 'queue' | 'handler'>) =>
  `${consumer.queue}:${consumer.handler}`;
