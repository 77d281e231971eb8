/**
 * `client.consume()`: a long-polling worker loop.
 *
 * ```
 *  poller ─ receive(maxMessages = free slots ≤ batchSize, waitSeconds 20) ─┬─ handler ─ ok ──► ack
 *    ▲  (one poller per batchSize slots)                                  │     │
 *    └──────────────── a slot frees when its message is settled ◄─────────┤     └ throws ─► release(backoff)
 *                                                                         └ heartbeat: extend every ½ lease
 * ```
 *
 * Never more than `concurrency` messages are leased at a time: a poller asks only for as many
 * messages as there are free slots. On abort no new receive starts (a pending long poll is cut
 * short: whatever it had leased comes back when the lease ends); every message already received
 * is handled, acked or released, then the returned promise resolves.
 */
import type { PostboxClient } from './client';
import { PostboxError } from './errors';
import { sleep } from './retry';
import type { DeliveredMessage } from './types';

/** What a handler gets besides the message. */
export interface ConsumeContext {
  queue: string;
  /** Aborts when the consumer is asked to stop; a long handler may finish early on it. */
  signal: AbortSignal;
}

/**
 * Handles one message; resolving acks it, throwing releases it for a later retry.
 *
 * @example
 * ```ts
 * const handle: MessageHandler<{ orderId: number }> = async (message, { signal }) => {
 *   await ship(message.body.orderId, { signal });
 * };
 * ```
 */
export type MessageHandler<Body = unknown> = (
  message: DeliveredMessage<Body> & { receipt: string },
  context: ConsumeContext,
) => unknown;

/** Where an error reported to `onError` happened. */
export type ConsumePhase = 'receive' | 'handler' | 'ack' | 'release' | 'extend';

export interface ConsumeErrorContext {
  phase: ConsumePhase;
  queue: string;
  /** The message concerned (all phases but `receive`). */
  message?: DeliveredMessage;
}

/**
 * The options of `client.consume()`; `batchSize`, `concurrency` and `visibilityTimeoutSeconds`
 * mean the same as for the CDK consumers and the local consumer configuration.
 *
 * @example
 * ```ts
 * await client.consume('orders', handle, {
 *   concurrency: 8,
 *   batchSize: 4,
 *   visibilityTimeoutSeconds: 60,
 *   retryDelaySeconds: (message) => 10 * message.receiveCount,
 *   onError: (error, { phase, message }) => log.warn({ phase, id: message?.id, error }),
 *   signal: shutdown.signal,
 * });
 * ```
 */
export interface ConsumeOptions {
  /** Handlers running at once; also the most messages leased at once. @default 1 */
  concurrency?: number;
  /**
   * The most messages one receive asks for (1–10). A receive never asks for more than there are
   * free handler slots, so at most `concurrency` messages are leased at a time and none waits
   * leased behind another (the Lambda consumer, whose handler gets the batch as one event, leases
   * up to `concurrency × batchSize`). @default min(concurrency, 10)
   */
  batchSize?: number;
  /** The lease of each receive and each heartbeat extension. @default the queue's own */
  visibilityTimeoutSeconds?: number;
  /** Long-poll wait of each receive (0–20). @default 20 */
  waitSeconds?: number;
  /** Stops the consumer: no new receives, in-flight messages finish, then the promise resolves. */
  signal?: AbortSignal;
  /**
   * Told about every error: a handler's (the message is then released), and failed receives,
   * acks, releases and heartbeats. @default one line on stderr per error
   */
  onError?: (error: unknown, context: ConsumeErrorContext) => void;
  /**
   * The release delay after a handler failed, in seconds (0–43,200).
   * @default 2^(receiveCount−1), at most 300: 1, 2, 4, … seconds
   */
  retryDelaySeconds?: number | ((message: DeliveredMessage, error: unknown) => number);
}

/** Errors of a receive that no wait will cure: the loop stops and the promise rejects. */
const FATAL_STATUSES = new Set([400, 401, 403, 404, 405]);

const defaultRetryDelay = (message: DeliveredMessage) =>
  Math.min(300, 2 ** Math.max(0, message.receiveCount - 1));

/** A counting semaphore for handler slots. */
class Slots {
  private waiting: (() => void)[] = [];
  constructor(private free: number) {}

  /** Takes between 1 and `most` slots, waiting for at least one. */
  async take(most: number, signal: AbortSignal): Promise<number> {
    while (this.free === 0) {
      signal.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        this.waiting.push(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    }
    const taken = Math.min(most, this.free);
    this.free -= taken;
    return taken;
  }

  give(count: number): void {
    this.free += count;
    for (const wake of this.waiting.splice(0)) wake();
  }
}

export async function consume<Body>(
  client: PostboxClient,
  queue: string,
  handler: MessageHandler<Body>,
  options: ConsumeOptions,
): Promise<void> {
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
  const batchSize = Math.min(10, Math.max(1, Math.floor(options.batchSize ?? Math.min(concurrency, 10))));
  const waitSeconds = options.waitSeconds ?? 20;
  const stop = new AbortController();
  const outer = options.signal;
  if (outer?.aborted) return;
  const onOuterAbort = () => stop.abort(outer?.reason);
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  const report =
    options.onError ??
    ((error: unknown, context: ConsumeErrorContext) => {
      const text = error instanceof Error ? error.message : String(error);
      console.error(`postbox consume ${context.queue}: ${context.phase} failed: ${text}`);
    });
  const safeReport = (error: unknown, context: Omit<ConsumeErrorContext, 'queue'>) => {
    try {
      report(error, { queue, ...context });
    } catch {
      // a failing hook must not stop the consumer
    }
  };

  try {
    // The queue's own lease, once: the heartbeat needs a number (and a missing queue fails here).
    let lease = options.visibilityTimeoutSeconds;
    try {
      lease ??= (await client.getQueue(queue, { signal: stop.signal })).visibilityTimeoutSeconds;
    } catch (error) {
      // Stopped while looking up the queue: nothing had started.
      if (stop.signal.aborted) return;
      throw error;
    }
    const leaseSeconds = lease;
    const slots = new Slots(concurrency);
    const inFlight = new Set<Promise<void>>();
    let fatal: unknown;

    const settle = async (message: DeliveredMessage<Body> & { receipt: string }) => {
      const heartbeat = startHeartbeat(client, queue, message, leaseSeconds, safeReport);
      let failure: { error: unknown } | undefined;
      try {
        await handler(message, { queue, signal: stop.signal });
      } catch (error) {
        failure = { error };
        safeReport(error, { phase: 'handler', message });
      } finally {
        await heartbeat.stop();
      }
      try {
        if (failure === undefined) await client.ack(queue, message.receipt);
        else {
          const delay = options.retryDelaySeconds ?? defaultRetryDelay;
          const delaySeconds = typeof delay === 'number' ? delay : delay(message, failure.error);
          await client.release(queue, message.receipt, { delaySeconds: Math.round(delaySeconds) });
        }
      } catch (error) {
        safeReport(error, { phase: failure === undefined ? 'ack' : 'release', message });
      }
    };

    const poll = async () => {
      let failures = 0;
      while (!stop.signal.aborted) {
        let taken = 0;
        try {
          taken = await slots.take(batchSize, stop.signal);
          const messages = await client.receive<Body>(queue, {
            maxMessages: taken,
            waitSeconds,
            visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
            signal: stop.signal,
          });
          failures = 0;
          slots.give(taken - messages.length);
          taken = 0;
          for (const message of messages) {
            const running = settle(message as DeliveredMessage<Body> & { receipt: string }).finally(() => {
              inFlight.delete(running);
              slots.give(1);
            });
            inFlight.add(running);
          }
        } catch (error) {
          slots.give(taken);
          if (stop.signal.aborted) return;
          safeReport(error, { phase: 'receive' });
          if (error instanceof PostboxError && FATAL_STATUSES.has(error.status)) {
            fatal ??= error;
            stop.abort(error);
            return;
          }
          // The client has retried already; wait longer before the next round (full jitter).
          failures++;
          await sleep(Math.random() * Math.min(10_000, 250 * 2 ** failures), stop.signal).catch(() => {});
        }
      }
    };

    const pollers = Array.from({ length: Math.ceil(concurrency / batchSize) }, poll);
    await Promise.all(pollers);
    while (inFlight.size > 0) await Promise.all([...inFlight]);
    if (fatal !== undefined) throw fatal;
  } finally {
    outer?.removeEventListener('abort', onOuterAbort);
  }
}

/** Extends the lease every half lease while the handler runs; `stop()` waits for a pending one. */
function startHeartbeat(
  client: PostboxClient,
  queue: string,
  message: DeliveredMessage & { receipt: string },
  leaseSeconds: number,
  report: (error: unknown, context: Omit<ConsumeErrorContext, 'queue'>) => void,
): { stop(): Promise<void> } {
  if (leaseSeconds <= 0) return { stop: async () => {} };
  let pending: Promise<void> | undefined;
  let lost = false;
  const timer = setInterval(
    () => {
      if (pending || lost) return;
      pending = client
        .extend(queue, message.receipt, leaseSeconds)
        .then(
          () => {},
          (error) => {
            // The lease is gone (another consumer may have the message): stop extending it.
            if (error instanceof PostboxError && error.code === 'ReceiptExpired') lost = true;
            report(error, { phase: 'extend', message });
          },
        )
        .finally(() => {
          pending = undefined;
        });
    },
    Math.max(200, (leaseSeconds * 1_000) / 2),
  );
  return {
    async stop() {
      clearInterval(timer);
      await pending;
    },
  };
}
