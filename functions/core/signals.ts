/**
 * In-process wake-ups for waits (long-polling receives, publishes waiting for room). They only
 * make a waiter look again sooner; correctness never depends on them, because every waiter also
 * looks again on a timer (other processes write to the same table without telling us).
 */
export type SignalName = `available:${string}` | `room:${string}`;

export class Signals {
  private readonly waiters = new Map<SignalName, Set<() => void>>();

  notify(name: SignalName): void {
    const set = this.waiters.get(name);
    if (!set) return;
    this.waiters.delete(name);
    for (const wake of set) wake();
  }

  /** Resolves on notify(name), after `ms`, or on abort, whichever comes first. */
  wait(name: SignalName, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      let set = this.waiters.get(name);
      if (!set) {
        set = new Set();
        this.waiters.set(name, set);
      }
      const wake = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', wake);
        this.waiters.get(name)?.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, Math.max(0, ms));
      signal?.addEventListener('abort', wake, { once: true });
      set.add(wake);
    });
  }
}

/** Full-jitter-free exponential steps for re-looking: quick at first, then at most `maxMs` apart. */
export function backoff(attempt: number, firstMs = 50, maxMs = 500): number {
  return Math.min(maxMs, firstMs * 2 ** attempt);
}
