/**
 * What every SQS action works with: the engine (an SQS queue is a Postbox queue), the SQS
 * settings, the clock, and where the request came in (for the queue URLs it answers).
 */
import type { Clock, Engine } from '../core/engine';
import { QueueNotFoundError } from '../core/errors';
import type { Queue, QueueCounts } from '../core/types';
import { fromEngineError, queueDoesNotExist } from './errors';
import type { Input } from './params';
import { requiredString } from './params';
import { allAttributes } from './queue-attributes';
import { isFifoName, postboxNameOf, queueArn, queueNameOf, queueUrl, sqsNameOf } from './queue-url';
import type { SqsQueueSettings, SqsSettingsStore } from './settings';

export interface SqsContext {
  engine: Engine;
  settings: SqsSettingsStore;
  clock: Clock;
  /** For ARNs. */
  region: string;
  /** For queue URLs and ARNs: `000000000000` locally, the HTTP API's AWS account deployed. */
  account: string;
  /** `http://127.0.0.1:<port>` locally, the API's URL deployed: queue URLs start with it. */
  origin: string;
  /** Ends a long poll early when the client goes away. */
  signal?: AbortSignal;
}

export type Action = (context: SqsContext, input: Input) => Promise<Record<string, unknown>>;

export interface LoadedQueue {
  /** The Postbox queue (its name is the Postbox name: `orders` for `orders.fifo`). */
  queue: Queue & { counts: QueueCounts };
  settings: SqsQueueSettings;
  fifo: boolean;
  /** The name SQS knows it by. */
  sqsName: string;
}

/** Engine calls with engine errors in SQS's words. */
export async function sqsCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw fromEngineError(error);
  }
}

export const emptySettings = (createdAt: number): SqsQueueSettings => ({
  createdAt,
  attributes: {},
  tags: {},
  lastModified: createdAt,
});

/**
 * The queue an SQS name names: the Postbox queue of its base name, when its type is the one the
 * name says (`orders.fifo` is not the standard queue `orders`, nor the other way round).
 */
export async function loadQueue(context: SqsContext, sqsName: string): Promise<LoadedQueue> {
  const queue = await sqsCall(() => context.engine.getQueue(postboxNameOf(sqsName)));
  const settings =
    (await context.settings.get(queue.name, queue.createdAt)) ?? emptySettings(queue.createdAt);
  const fifo = settings.fifo === true;
  if (fifo !== isFifoName(sqsName)) throw queueDoesNotExist();
  return { queue, settings, fifo, sqsName };
}

/** The SQS name of a Postbox queue, or undefined when it is gone. */
export async function sqsNameOfQueue(context: SqsContext, postboxName: string): Promise<string | undefined> {
  try {
    const queue = await context.engine.getQueue(postboxName);
    const settings = await context.settings.get(queue.name, queue.createdAt);
    return sqsNameOf(queue.name, settings?.fifo === true);
  } catch (error) {
    if (error instanceof QueueNotFoundError) return undefined;
    throw fromEngineError(error);
  }
}

export const urlOf = (context: SqsContext, sqsName: string) =>
  queueUrl(context.origin, context.account, sqsName);

export const arnOf = (context: SqsContext, sqsName: string) =>
  queueArn(context.region, context.account, sqsName);

/** The SQS queue name the input's QueueUrl names. */
export const queueOfInput = (input: Input) => queueNameOf(requiredString(input, 'QueueUrl'));

/** Every attribute of a loaded queue as SQS answers them (its dead-letter queue by its SQS name). */
export async function attributesOf(
  context: SqsContext,
  loaded: LoadedQueue,
): Promise<Record<string, string>> {
  const { queue, settings } = loaded;
  const deadLetterSqsName =
    queue.deadLetterQueue === null ? undefined : await sqsNameOfQueue(context, queue.deadLetterQueue);
  return allAttributes({
    queue,
    fifo: loaded.fifo,
    sqsName: loaded.sqsName,
    settings: settings.attributes,
    lastModified: settings.lastModified,
    arnOf: (name) => arnOf(context, name),
    ...(deadLetterSqsName !== undefined ? { deadLetterSqsName } : {}),
  });
}
