/**
 * The deployed system's timed work, done locally by polling: `engine.runDueWork()` about every
 * 250 ms. The next run is scheduled only after the previous one settled, so runs never overlap
 * (two sweeps racing over the same due items would only cost conditional-check failures, but a
 * slow store would pile them up). A failing run is logged and retried; it never stops the server.
 */

export interface DueWorkOptions {
  /** One sweep; `engine.runDueWork`. */
  run: () => Promise<void>;
  /** Pause between the end of one run and the start of the next. @default 250 */
  intervalMs?: number;
  /** Where failures are reported. @default console.error */
  log?: (line: string) => void;
  /** The same failure is reported again at most this often, so a dead store does not flood the log. @default 60000 */
  repeatLogMs?: number;
}

export interface DueWork {
  /** Stops scheduling and resolves when a run under way has settled. */
  stop(): Promise<void>;
}

export function startDueWork(options: DueWorkOptions): DueWork {
  const intervalMs = options.intervalMs ?? 250;
  const log = options.log ?? ((line: string) => console.error(line));
  const repeatLogMs = options.repeatLogMs ?? 60_000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let lastFailure: { message: string; loggedAt: number } | undefined;

  const tick = () => {
    timer = undefined;
    running = (async () => {
      try {
        await options.run();
        if (lastFailure) log('Timed work recovered');
        lastFailure = undefined;
      } catch (error) {
        const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        const now = Date.now();
        if (!lastFailure || lastFailure.message !== message || now - lastFailure.loggedAt >= repeatLogMs) {
          log(`Timed work failed (retrying every ${intervalMs} ms): ${message}`);
          lastFailure = { message, loggedAt: now };
        }
      }
    })();
    void running.then(() => {
      running = undefined;
      if (!stopped) timer = setTimeout(tick, intervalMs);
    });
  };
  timer = setTimeout(tick, intervalMs);

  return {
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}
