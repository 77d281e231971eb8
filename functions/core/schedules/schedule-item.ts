/**
 * A schedule as one item (`SCHEDULES` / `<name>`), and the pure builders of the writes on it.
 *
 *   item      definition (target and message as JSON text: attribute names are free text that a
 *             DynamoDB map would mishandle), `rev` (a token changed by every PUT), `nextAt` (the
 *             earliest firing not yet published), `lastFiredAt`, `lastError`, and, while active
 *             (not paused, a next firing exists), the availability-index keys
 *             apk = SCHEDULE_DUE, ask = S<nextAt>#<name>
 *   advance   UpdateItem SET nextAt, lastFiredAt, ask [, lastError] (or REMOVE nextAt, apk, ask
 *             when no firing follows) IF rev = :rev AND nextAt = :firing's predecessor
 *
 * The advance's condition is what makes a firing happen once: it goes in the same transaction as
 * the fired message, so of two dispatchers (or a retry after a crash) only the one that finds
 * `nextAt` where it read it publishes; the other's transaction is cancelled and writes nothing.
 */
import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { SCHEDULE_DUE_PK, scheduleDueKey, scheduleKey } from '../keys';
import { type Item, toAttributes } from '../store';
import { firingsFrom, type Timing } from './timing';
import type { FiringError, Schedule, ScheduleMessage, ScheduleTarget } from './types';

/** A schedule as stored. */
export interface ScheduleRecord {
  name: string;
  cron?: string;
  /** The cron fields without the CRON_TZ prefix. */
  fields?: string;
  timeZone: string;
  everySeconds?: number;
  target: ScheduleTarget;
  message: ScheduleMessage;
  start?: number;
  end?: number;
  paused: boolean;
  createdAt: number;
  updatedAt: number;
  rev: string;
  nextAt?: number;
  lastFiredAt?: number;
  lastError?: FiringError;
}

export const timingOf = (record: ScheduleRecord): Timing => ({
  cron: record.fields,
  timeZone: record.timeZone,
  everySeconds: record.everySeconds,
  start: record.start,
  end: record.end,
  anchor: record.start ?? record.createdAt,
});

/** Whether two records fire at the same times (a PUT that keeps them keeps `nextAt`). */
export function sameTiming(a: ScheduleRecord, b: ScheduleRecord): boolean {
  const ta = timingOf(a);
  const tb = timingOf(b);
  return (
    ta.cron === tb.cron &&
    ta.timeZone === tb.timeZone &&
    ta.everySeconds === tb.everySeconds &&
    ta.start === tb.start &&
    ta.end === tb.end &&
    ta.anchor === tb.anchor
  );
}

export function recordToItem(record: ScheduleRecord): Item {
  const active = !record.paused && record.nextAt !== undefined;
  return {
    ...scheduleKey(record.name),
    ...record,
    target: JSON.stringify(record.target),
    message: JSON.stringify(record.message),
    lastError: record.lastError === undefined ? undefined : JSON.stringify(record.lastError),
    ...(active ? { apk: SCHEDULE_DUE_PK, ask: scheduleDueKey(record.nextAt as number, record.name) } : {}),
  };
}

const optionalNumber = (value: unknown) => (typeof value === 'number' ? value : undefined);
const optionalString = (value: unknown) => (typeof value === 'string' ? value : undefined);

export function recordFromItem(item: Item): ScheduleRecord {
  return {
    name: String(item.name),
    cron: optionalString(item.cron),
    fields: optionalString(item.fields),
    timeZone: String(item.timeZone),
    everySeconds: optionalNumber(item.everySeconds),
    target: JSON.parse(String(item.target)) as ScheduleTarget,
    message: JSON.parse(String(item.message)) as ScheduleMessage,
    start: optionalNumber(item.start),
    end: optionalNumber(item.end),
    paused: item.paused === true,
    createdAt: Number(item.createdAt),
    updatedAt: Number(item.updatedAt),
    rev: String(item.rev),
    nextAt: optionalNumber(item.nextAt),
    lastFiredAt: optionalNumber(item.lastFiredAt),
    lastError: typeof item.lastError === 'string' ? (JSON.parse(item.lastError) as FiringError) : undefined,
  };
}

export const NEXT_FIRINGS_SHOWN = 5;

export function scheduleOf(record: ScheduleRecord): Schedule {
  const nextFirings =
    record.paused || record.nextAt === undefined
      ? []
      : firingsFrom(timingOf(record), record.nextAt, NEXT_FIRINGS_SHOWN);
  return {
    name: record.name,
    cron: record.cron ?? null,
    timeZone: record.timeZone,
    everySeconds: record.everySeconds ?? null,
    target: record.target,
    message: record.message,
    start: record.start ?? null,
    end: record.end ?? null,
    paused: record.paused,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    nextFirings,
    lastFiredAt: record.lastFiredAt ?? null,
    lastError: record.lastError ?? null,
  };
}

/**
 * Moves `nextAt` from the firing `firedAt` (which the caller read as `nextAt`, or which is the
 * catch-up firing after it) to `next`, only if nobody moved it or redefined the schedule since.
 */
export function advanceParams(
  tableName: string,
  record: ScheduleRecord,
  firedAt: number,
  next: number | null,
  error?: FiringError,
): NonNullable<TransactWriteItem['Update']> {
  const sets = ['#lastFiredAt = :firedAt'];
  const removes: string[] = [];
  const names: Record<string, string> = {
    '#lastFiredAt': 'lastFiredAt',
    '#nextAt': 'nextAt',
    '#rev': 'rev',
    '#lastError': 'lastError',
  };
  const values: Item = { ':firedAt': firedAt, ':seen': record.nextAt, ':rev': record.rev };
  if (next === null) {
    removes.push('#nextAt', '#apk', '#ask');
    names['#apk'] = 'apk';
    names['#ask'] = 'ask';
  } else {
    sets.push('#nextAt = :next', '#ask = :ask');
    names['#ask'] = 'ask';
    values[':next'] = next;
    values[':ask'] = scheduleDueKey(next, record.name);
  }
  if (error) {
    sets.push('#lastError = :error');
    values[':error'] = JSON.stringify(error);
  } else removes.push('#lastError');
  return {
    TableName: tableName,
    Key: toAttributes(scheduleKey(record.name)),
    UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
    ConditionExpression: '#rev = :rev AND #nextAt = :seen',
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: toAttributes(values),
  };
}
