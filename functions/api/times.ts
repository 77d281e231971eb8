/**
 * Times at the HTTP edge: the engine speaks epoch milliseconds, the contract speaks ISO-8601.
 * Answers are always UTC with milliseconds; requests may use any ISO-8601 date-time that names
 * its offset (a time without `Z` or an offset would depend on the server's zone, so it is refused).
 */

/** `2026-11-24T19:00:00.000Z`: what every answer carries. */
export const isoTime = (epochMs: number): string => new Date(epochMs).toISOString();

// Extended (2026-11-24T19:00:00.5+01:00) and basic (20261124T190000,5+0100) forms; seconds and
// fractions optional, `.` or `,` as the decimal sign, offsets as Z, ±hh, ±hh:mm or ±hhmm.
const EXTENDED =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)$/;
const BASIC = /^(\d{4})(\d{2})(\d{2})[Tt](\d{2})(\d{2})(?:(\d{2})(?:[.,](\d+))?)?([Zz]|[+-]\d{2}(?:\d{2})?)$/;

const daysInMonth = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * Parses an ISO-8601 date-time with an offset into epoch ms (fractions below a millisecond are
 * cut off, so the answer's `deliverAt` is the requested time to the millisecond), or `null`.
 */
export function parseDateTime(text: string): number | null {
  const match = EXTENDED.exec(text) ?? BASIC.exec(text);
  if (!match) return null;
  const [, y, mo, d, h, mi, s = '0', fraction = '', zone = 'Z'] = match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const offsetHours = Number(digits.slice(0, 2));
    const offsetMins = Number(digits.slice(2) || '0');
    if (offsetHours > 23 || offsetMins > 59) return null;
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const millis = Number(fraction.slice(0, 3).padEnd(3, '0'));
  // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear keeps the year as written.
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, millis));
  date.setUTCFullYear(year);
  return date.getTime() - offsetMinutes * 60_000;
}
