/**
 * The deployed system's timed work, done locally by a timer that sleeps until the next thing is
 * due (due-tracker.ts decides what and when) instead of polling every queue: an idle server sends
 * a few DynamoDB requests a second whatever its number of queues. A run is started only after the
 * previous one settled, so runs never overlap; a due time learned meanwhile that is earlier than
 * the one slept for wakes the timer at once. A failing run is logged and retried; it never stops
 * the server.
 */

export interface DueSource {
  /** When `runDue` next has something to do (epoch ms, may be past). */
  nextWakeAt(): number;
  runDue(): Promise<void>;
  /** Calls `listener` when `nextWakeAt` moves earlier; returns the unsubscribe. */
  onEarlier(listener: () => void): () => void;
}

export interface DueWorkOptions {
  due: DueSource;
  /** @default Date.now */
  clock?: () => number;
  /** After a failed run, the next one waits at least this long. @default 1000 */
  retryMs?: number;
  /** Where failures are reported. @default console.error */
  log?: (line: string) => void;
  /** The same failure is reported again at most this often, so a dead store does not flood the log. @default 60000 */
  repeatLogMs?: number;
}

export interface DueWork {
  /** Stops scheduling and resolves when a run under way has settled. */
  stop(): Promise<void>;
}

/** setTimeout's longest delay is about 24.8 days; the timer re-reads the schedule at least this often. */
const MAX_SLEEP_MS = 60_000;

export function startDueWork(options: DueWorkOptions): DueWork {
  const { due } = options;
  const clock = options.clock ?? Date.now;
  const retryMs = options.retryMs ?? 1_000;
  const log = options.log ?? ((line: string) => console.error(line));
  const repeatLogMs = options.repeatLogMs ?? 60_000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let armedFor = Number.POSITIVE_INFINITY;
  let running: Promise<void> | undefined;
  let notBefore = Number.NEGATIVE_INFINITY;
  let lastFailure: { message: string; loggedAt: number } | undefined;

  const arm = () => {
    if (stopped || running) return;
    const wakeAt = Math.max(due.nextWakeAt(), notBefore);
    if (timer && wakeAt >= armedFor) return;
    if (timer) clearTimeout(timer);
    armedFor = wakeAt;
    timer = setTimeout(tick, Math.min(MAX_SLEEP_MS, Math.max(0, wakeAt - clock())));
  };

  const tick = () => {
    timer = undefined;
    armedFor = Number.POSITIVE_INFINITY;
    if (clock() < Math.max(due.nextWakeAt(), notBefore)) return arm(); // a long sleep's interim wake-up
    running = (async () => {
      try {
        await due.runDue();
        if (lastFailure) log('Timed work recovered');
        lastFailure = undefined;
      } catch (error) {
        const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        const now = clock();
        notBefore = now + retryMs;
        if (!lastFailure || lastFailure.message !== message || now - lastFailure.loggedAt >= repeatLogMs) {
          log(`Timed work failed (retrying in ${retryMs} ms): ${message}`);
          lastFailure = { message, loggedAt: now };
        }
      }
    })();
    void running.then(() => {
      running = undefined;
      arm();
    });
  };

  const unsubscribe = due.onEarlier(arm);
  arm();

  return {
    stop: async () => {
      stopped = true;
      unsubscribe();
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}
