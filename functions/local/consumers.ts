/**
 * The local consumer runner: the deployed dispatcher's batch logic (claim → invoke → ack/release,
 * functions/dispatcher/dispatch.ts) driving handlers that are module functions of this process.
 *
 * Each consumer gets `concurrency` workers, each a loop of long-polling receives, so at most
 * `concurrency` batches are in flight and a publish wakes a waiting worker at once (the engine
 * signals in-process waiters); delays and lease expiries are seen by the receive itself, by time.
 * Handlers are called like Lambda calls them: `(event, context)`, async or with a callback.
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import type { ConsumerStatus } from '../api/routes/operations';
import type { Engine } from '../core/engine';
import { sleep } from '../core/store';
import { type Consumer, consumerId } from '../dispatcher/consumer';
import {
  type BatchReport,
  claimBatch,
  type DispatchDeps,
  type Invoker,
  processBatch,
} from '../dispatcher/dispatch';
import { ConsumerStatusBoard } from './consumer-status';

export type Handler = (
  // biome-ignore lint/suspicious/noExplicitAny: a user's handler, called as Lambda would call it
  event: any,
  context: Context,
  callback: (error?: unknown, result?: unknown) => void,
) => unknown;

export interface LocalConsumersOptions {
  engine: Engine;
  consumers: Consumer[];
  /** Loads a handler from `modulePath#export`. @default dynamic import of the module */
  load?: (handler: string) => Promise<Handler>;
  /** @default console.log */
  log?: (line: string) => void;
  /** Told about every batch. @default failures are logged */
  onBatch?: (report: BatchReport) => void;
  /** Delay before a failed message comes back. @default the dispatcher's backoff */
  retryDelay?: DispatchDeps['retryDelay'];
  /** Long-poll length of each receive. @default 20 */
  waitSeconds?: number;
}

export interface LocalConsumers {
  /** Stops receiving; resolves when the batches under way are settled. */
  stop(): Promise<void>;
  /** Each consumer's state and counts now (`GET /v1/consumers`). */
  status(): ConsumerStatus[];
}

/** Loads every handler first (a typo fails the start, not the first message), then starts the workers. */
export async function startConsumers(options: LocalConsumersOptions): Promise<LocalConsumers> {
  const log = options.log ?? ((line: string) => console.log(line));
  const load = options.load ?? loadHandler;
  const handlers = new Map<string, Handler>();
  for (const consumer of options.consumers) handlers.set(consumer.handler, await load(consumer.handler));

  const invoke: Invoker = (consumer, event) =>
    callHandler(handlers.get(consumer.handler) as Handler, event, lambdaContext(consumer));
  const deps: DispatchDeps = {
    engine: options.engine,
    invoke,
    source: { region: 'local', account: '000000000000' },
    retryDelay: options.retryDelay,
    onBatch: options.onBatch ?? ((report) => logFailures(report, log)),
  };

  const abort = new AbortController();
  const board = new ConsumerStatusBoard(options.consumers);
  const workers = options.consumers.flatMap((consumer, index) =>
    Array.from({ length: consumer.concurrency }, () =>
      work(deps, consumer, abort.signal, options.waitSeconds ?? 20, log, { board, index }),
    ),
  );
  return {
    stop: async () => {
      board.stop();
      abort.abort();
      await Promise.all(workers);
    },
    status: () => board.list(),
  };
}

async function work(
  deps: DispatchDeps,
  consumer: Consumer,
  signal: AbortSignal,
  waitSeconds: number,
  log: (line: string) => void,
  { board, index }: { board: ConsumerStatusBoard; index: number },
): Promise<void> {
  let lastError = '';
  while (!signal.aborted) {
    try {
      board.receiveStarted(index);
      const batch = await claimBatch(deps.engine, consumer, { waitSeconds, signal });
      lastError = '';
      board.receiveWorked(index);
      if (batch.length > 0) {
        board.batchStarted(index);
        let report: BatchReport | undefined;
        try {
          report = await processBatch(deps, consumer, batch);
        } finally {
          board.batchDone(index, report);
        }
      }
    } catch (error) {
      if (!signal.aborted) board.receiveFailed(index, error as Error);
      // The queue may not exist yet, or the store is briefly away: try again, saying so once.
      const text = `${(error as Error).name}: ${(error as Error).message}`;
      if (text !== lastError) log(`Consumer ${consumerId(consumer)}: ${text} (retrying every second)`);
      lastError = text;
      await sleep(1_000, signal);
    }
  }
}

function logFailures(report: BatchReport, log: (line: string) => void): void {
  if (report.outcome === 'ok' && report.expired === 0 && report.settleErrors === 0) return;
  const why = report.error ? ` (${report.error})` : '';
  log(
    `Consumer ${report.consumer}: batch of ${report.messageIds.length} ${report.outcome}${why}; ` +
      `acked ${report.acked}, released ${report.released}, expired receipts ${report.expired}`,
  );
}

/** `path#export` → the function; a CommonJS or TypeScript module may nest its exports under `default`. */
export async function loadHandler(reference: string): Promise<Handler> {
  const cut = reference.lastIndexOf('#');
  const [path, name] = cut < 0 ? [reference, 'handler'] : [reference.slice(0, cut), reference.slice(cut + 1)];
  const module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  const nested = module.default as Record<string, unknown> | undefined;
  const found = module[name] ?? nested?.[name] ?? (name === 'handler' ? module.default : undefined);
  if (typeof found !== 'function') throw new Error(`${path} has no function export named ${name}`);
  return found as Handler;
}

/** Calls a Lambda-style handler: resolves with its answer (promise or callback), rejects on failure. */
export function callHandler(handler: Handler, event: unknown, context: Context): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (error?: unknown, result?: unknown) => {
      if (settled) return;
      settled = true;
      if (error !== undefined && error !== null) reject(error);
      else resolve(result);
    };
    try {
      const answer = handler(event, context, callback) as { then?: unknown } | undefined;
      if (answer && typeof answer.then === 'function') {
        (answer as Promise<unknown>).then(
          (value) => callback(null, value),
          (error) => callback(error ?? new Error('handler rejected')),
        );
      } else if (handler.length < 3) {
        callback(null, answer);
      }
    } catch (error) {
      callback(error);
    }
  });
}

function lambdaContext(consumer: Consumer): Context {
  const deadline = Date.now() + consumer.visibilityTimeoutSeconds * 1000;
  const functionName = `postbox-local-${consumer.queue}`;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '0',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
