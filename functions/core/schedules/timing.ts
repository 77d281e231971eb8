/**
 * When a schedule fires: pure functions of its definition and a time, no store, no clock.
 *
 * - `cron`: five fields (`m h dom mon dow`, Vixie cron's meaning: when both day fields are
 *   restricted, either matching fires), optionally prefixed `CRON_TZ=<IANA zone> `, read in the
 *   schedule's time zone (default UTC) by croner. Daylight saving, as Vixie cron and croner do it:
 *   a job at a fixed time (`30 2 * * *`) whose time is skipped (Berlin's spring-forward, 02:30
 *   does not exist) fires when the clock has jumped (03:00 local), and one whose time happens
 *   twice (autumn, 02:30 twice) fires once, at the first 02:30; an interval job (`*\/30 2 * * *`,
 *   any wildcard or step in the minute or hour) skips the missing times and fires at both
 *   occurrences of a repeated one.
 * - `everySeconds`: at `anchor + k·everySeconds` (k ≥ 0), the anchor being `start`, else the
 *   schedule's creation time.
 * Both only within [`start`, `end`] (both inclusive).
 */
import { Cron } from 'croner';
import { ValidationError } from '../errors';

export interface Timing {
  /** The five fields, without a CRON_TZ prefix. */
  cron?: string;
  /** IANA zone the cron fields are read in. */
  timeZone: string;
  everySeconds?: number;
  /** Epoch ms, inclusive. */
  start?: number;
  /** Epoch ms, inclusive. */
  end?: number;
  /** Epoch ms: the first `everySeconds` firing (start, else the creation time). */
  anchor: number;
}

const CRON_TZ = /^CRON_TZ=(\S+)\s+(.*)$/;

/** Whether `zone` is an IANA time zone this runtime knows. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Splits `CRON_TZ=<zone> <fields>` and checks both: five fields croner accepts, a known zone, and
 * no disagreement with an explicit `timeZone`. Throws ValidationError naming the field.
 */
export function parseCron(text: string, timeZone: string | undefined): { fields: string; timeZone: string } {
  const prefixed = CRON_TZ.exec(text.trim());
  const fields = (prefixed ? (prefixed[2] as string) : text).trim();
  const zone = prefixed?.[1];
  if (zone !== undefined && timeZone !== undefined && zone !== timeZone) {
    throw new ValidationError(
      `cron: CRON_TZ=${zone} disagrees with timeZone '${timeZone}'; give one of them.`,
    );
  }
  const effective = zone ?? timeZone ?? 'UTC';
  if (!isTimeZone(effective)) {
    throw new ValidationError(`${zone ? 'cron' : 'timeZone'}: '${effective}' is not an IANA time zone.`);
  }
  if (fields.split(/\s+/).length !== 5) {
    throw new ValidationError(
      `cron: '${fields}' must have exactly 5 fields: minute hour day-of-month month day-of-week.`,
    );
  }
  try {
    cronOf(fields, effective).nextRun(new Date(0));
  } catch (error) {
    throw new ValidationError(`cron: ${(error as Error).message.replace(/^CronPattern: /, '')}`);
  }
  return { fields, timeZone: effective };
}

const cronOf = (fields: string, timeZone: string) =>
  new Cron(fields, { timezone: timeZone, mode: '5-part', domAndDow: false });

/** The first firing strictly after `after` (epoch ms), or null when there is none (past `end`). */
export function firingAfter(timing: Timing, after: number): number | null {
  const from = timing.start === undefined ? after : Math.max(after, timing.start - 1);
  let next: number | null;
  if (timing.everySeconds !== undefined) {
    const period = timing.everySeconds * 1000;
    const k = from < timing.anchor ? 0 : Math.floor((from - timing.anchor) / period) + 1;
    next = timing.anchor + k * period;
  } else {
    const run = cronOf(timing.cron ?? '', timing.timeZone).nextRun(new Date(from));
    next = run ? run.getTime() : null;
  }
  return next !== null && (timing.end === undefined || next <= timing.end) ? next : null;
}

/** The first firing at or after `at`. */
export const firingFrom = (timing: Timing, at: number) => firingAfter(timing, at - 1);

/** The latest firing at or before `at` that is not before `notBefore`, or null. */
export function latestFiringUpTo(timing: Timing, at: number, notBefore: number): number | null {
  const upTo = timing.end === undefined ? at : Math.min(at, timing.end);
  let latest: number | null;
  if (timing.everySeconds !== undefined) {
    const period = timing.everySeconds * 1000;
    latest =
      upTo < timing.anchor ? null : timing.anchor + Math.floor((upTo - timing.anchor) / period) * period;
  } else {
    const [run] = cronOf(timing.cron ?? '', timing.timeZone).previousRuns(1, new Date(upTo + 1));
    latest = run ? run.getTime() : null;
  }
  if (latest === null || latest < notBefore || (timing.start !== undefined && latest < timing.start))
    return null;
  return latest;
}

/** Up to `count` firings from `first` (itself included when it is a firing time). */
export function firingsFrom(timing: Timing, first: number | null, count: number): number[] {
  const firings: number[] = [];
  for (let at = first; at !== null && firings.length < count; at = firingAfter(timing, at)) firings.push(at);
  return firings;
}
