/**
 * Which firings a run publishes (pure). The policy (docs/api.md, "Schedules"):
 *
 * - Every due firing is published as its own message, oldest first, each with its own
 *   `postbox.firedAt`: a run that comes late (the deployed minute sweep, up to a minute after an
 *   `everySeconds: 10` schedule's firings) still publishes each of them.
 * - A schedule whose oldest due firing is more than `catchUpAfterMs` old was not served at all for
 *   a while (everything was down): it publishes ONE catch-up message, for its latest due firing,
 *   and goes on with the first firing after now. The firings in between are not published.
 * - At most `maxFirings` a run; the rest stay due for the next run.
 */
import { firingAfter, latestFiringUpTo, type Timing } from './timing';

/** A gap longer than this means "missed", not "late". */
export const CATCH_UP_AFTER_MS = 120_000;
export const MAX_FIRINGS_PER_RUN = 200;

export interface FiringPlan {
  firings: number[];
  /** True when the firings stand for a gap of missed ones (one catch-up). */
  catchUp: boolean;
}

export function planFirings(
  timing: Timing,
  nextAt: number,
  now: number,
  options: { catchUpAfterMs?: number; maxFirings?: number } = {},
): FiringPlan {
  const catchUpAfterMs = options.catchUpAfterMs ?? CATCH_UP_AFTER_MS;
  const maxFirings = options.maxFirings ?? MAX_FIRINGS_PER_RUN;
  if (nextAt > now) return { firings: [], catchUp: false };
  if (now - nextAt > catchUpAfterMs) {
    return { firings: [latestFiringUpTo(timing, now, nextAt) ?? nextAt], catchUp: true };
  }
  const firings: number[] = [];
  for (let at: number | null = nextAt; at !== null && at <= now && firings.length < maxFirings; ) {
    firings.push(at);
    at = firingAfter(timing, at);
  }
  return { firings, catchUp: false };
}
