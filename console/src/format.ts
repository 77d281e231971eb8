/** Numbers, times and bodies for people. Everything here returns plain text, never markup. */

const number = new Intl.NumberFormat('en');

export const formatCount = (n: number) => number.format(n);

/** `2026-11-24 19:00:00.000 UTC`: exact and unambiguous. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().replace('T', ' ').replace('Z', '')} UTC`;
}

/** `in 5 min`, `3 s ago`: how far a time is from now. */
export function relativeTime(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '';
  const ms = new Date(iso).getTime() - now;
  if (Number.isNaN(ms)) return '';
  const abs = Math.abs(ms);
  const text =
    abs < 1_000
      ? 'now'
      : abs < 60_000
        ? `${Math.round(abs / 1_000)} s`
        : abs < 3_600_000
          ? `${Math.round(abs / 60_000)} min`
          : abs < 86_400_000
            ? `${Math.round(abs / 3_600_000)} h`
            : `${Math.round(abs / 86_400_000)} d`;
  if (text === 'now') return text;
  return ms > 0 ? `in ${text}` : `${text} ago`;
}

/** A body pretty-printed: JSON indented, a string as itself. */
export function prettyBody(body: unknown): string {
  if (typeof body === 'string') return body;
  return JSON.stringify(body, null, 2) ?? String(body);
}

/** One line of at most `max` characters. */
export function preview(body: unknown, max = 80): string {
  const text = (typeof body === 'string' ? body : (JSON.stringify(body) ?? '')).replace(/\s+/g, ' ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function formatSeconds(seconds: number): string {
  if (seconds === 0) return '0 s';
  const units: [number, string][] = [
    [86_400, 'd'],
    [3_600, 'h'],
    [60, 'min'],
  ];
  for (const [size, unit] of units) {
    if (seconds % size === 0) return `${number.format(seconds / size)} ${unit}`;
  }
  return `${number.format(seconds)} s`;
}

export const STATE_LABELS = { ready: 'ready', delayed: 'delayed', inFlight: 'in flight' } as const;

/** `13:08:48`: a chart tick, in UTC like every time the console shows. */
export const clockTime = (epochSeconds: number) => new Date(epochSeconds * 1_000).toISOString().slice(11, 19);

/** `2.5/s`: a rate, to one decimal (whole numbers from 100 up). */
export function formatRate(perSecond: number): string {
  const digits = perSecond >= 100 ? 0 : 1;
  return `${new Intl.NumberFormat('en', { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(perSecond)}/s`;
}

/** Why a message is a dead letter, in words: `maxReceiveCount reached (5 receives)`. */
export function deadLetterReason(deadLetter: { reason: string; receiveCount: number }): string {
  const receives = `${deadLetter.receiveCount} receive${deadLetter.receiveCount === 1 ? '' : 's'}`;
  return deadLetter.reason === 'maxReceiveCount'
    ? `maxReceiveCount reached (${receives})`
    : `${deadLetter.reason} (${receives})`;
}
