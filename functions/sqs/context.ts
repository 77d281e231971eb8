/**
 * What every SQS action works with: the engine (an SQS queue is a Postbox queue), the SQS
 * settings, the clock, and where the request came in (for the queue URLs it answers).
 */
import type { Clock, Engine } from '../core/engine';
import type { Queue, QueueCounts } from '../core/types';
import { fromEngineError } from './errors';
import type { Input } from './params';
import { requiredString } from './params';
import { queueNameOf } from './queue-url';
import type { SqsQueueSettings, SqsSettingsStore } from './settings';

export interface SqsContext {
  engine: Engine;
  settings: SqsSettingsStore;
  clock: Clock;
  /** For ARNs. */
  region: string;
  /** `http://127.0.0.1:<port>` locally, the API's URL deployed: queue URLs start with it. */
  origin: string;
  /** Ends a long poll early when the client goes away. */
  signal?: AbortSignal;
}

export type Action = (context: SqsContext, input: Input) => Promise<Record<string, unknown>>;

export interface LoadedQueue {
  queue: Queue & { counts: QueueCounts };
  settings: SqsQueueSettings;
  fifo: boolean;
}

/** Engine calls with engine errors in SQS's words. */
export async function sqsCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw fromEngineError(error);
  }
}

export async function loadQueue(context: SqsContext, name: string): Promise<LoadedQueue> {
  const queue = await sqsCall(() => context.engine.getQueue(name));
  const settings = (await context.settings.get(name, queue.createdAt)) ?? {
    createdAt: queue.createdAt,
    attributes: {},
    tags: {},
    lastModified: queue.createdAt,
  };
  return { queue, settings, fifo: name.endsWith('.fifo') };
}

/** The queue named by the input's QueueUrl. */
export const queueOfInput = (input: Input) => queueNameOf(requiredString(input, 'QueueUrl'));
