/** Loading, polling and the token's state, as hooks. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { onTokenChange, type TokenPrompt, tokenGeneration, tokenPrompt } from './token';

/** Re-renders on token changes; returns the generation, to put in a load's dependencies. */
export function useToken(): { generation: number; prompt: TokenPrompt } {
  const [, setTick] = useState(0);
  useEffect(() => onTokenChange(() => setTick((tick) => tick + 1)), []);
  return { generation: tokenGeneration(), prompt: tokenPrompt() };
}

export interface Load<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/**
 * Runs `load` when `deps` change (and on `reload`); an answer to an older request never
 * overwrites a newer one.
 */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Load<T> {
  const { generation } = useToken();
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [nonce, setNonce] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    const ticket = ++latest.current;
    setState((previous) => ({ ...previous, loading: true }));
    load().then(
      (data) => {
        if (ticket === latest.current) setState({ data, loading: false });
      },
      (error: unknown) => {
        if (ticket === latest.current)
          setState((previous) => ({ data: previous.data, error, loading: false }));
      },
    );
  }, [...deps, nonce, generation]);
  const reload = useCallback(() => setNonce((n) => n + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/**
 * Calls `tick` every `ms` while the tab is visible; never two at once (a slow answer delays the
 * next one rather than piling requests up).
 */
export function useInterval(tick: () => Promise<void>, ms: number, deps: unknown[]): void {
  const current = useRef(tick);
  current.current = tick;
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      if (stopped) return;
      if (document.visibilityState !== 'hidden') {
        try {
          await current.current();
        } catch {
          // the tick shows its own errors
        }
      }
      if (!stopped) timer = setTimeout(run, ms);
    };
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [ms, ...deps]);
}

/**
 * `read` every `ms` (useInterval): its last answer, and the error of the last read that failed,
 * cleared by the next one that does not (the last answer stays shown meanwhile).
 */
export function usePoll<T>(
  read: () => Promise<T>,
  ms: number,
  deps: unknown[],
): { data: T | undefined; error: unknown } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  useInterval(
    async () => {
      try {
        setData(await read());
        setError(undefined);
      } catch (caught) {
        setError(caught);
      }
    },
    ms,
    deps,
  );
  return { data, error };
}

/** A one-off action (a button): its error and whether it is under way. */
export function useAction(): {
  busy: boolean;
  error: unknown;
  /** Resolves with `{ value }`, or undefined when the action failed (its error is then shown). */
  run: <T>(action: () => Promise<T>) => Promise<{ value: T } | undefined>;
  clear: () => void;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const run = useCallback(async <T>(action: () => Promise<T>) => {
    setBusy(true);
    setError(undefined);
    try {
      return { value: await action() };
    } catch (caught) {
      setError(caught);
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run, clear: () => setError(undefined) };
}
