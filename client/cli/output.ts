/**
 * How the CLI prints: aligned tables and key/value blocks for people, JSON for scripts.
 */
import { PostboxError } from '../src/errors';

export interface Output {
  json: boolean;
}

export const print = (text = ''): void => {
  process.stdout.write(`${text}\n`);
};

/** The value as one line of JSON. */
export const printJson = (value: unknown): void => print(JSON.stringify(value));

/** Columns padded to their widest cell; columns named in `right` are right-aligned. */
export function table(headers: string[], rows: (string | number)[][], right: string[] = []): string {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  return cells
    .map((row) =>
      row
        .map((cell, i) => {
          const width = widths[i] ?? 0;
          const isLast = i === row.length - 1;
          if (right.includes(headers[i] ?? '')) return cell.padStart(width);
          return isLast ? cell : cell.padEnd(width);
        })
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `key  value` lines, keys aligned. */
export function keyValues(pairs: [string, unknown][]): string {
  const width = Math.max(...pairs.map(([key]) => key.length));
  return pairs.map(([key, value]) => `${key.padEnd(width)}  ${display(value)}`).join('\n');
}

/** A value for a person: strings as they are, null as '-', anything else as compact JSON. */
export function display(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** A message body on one line, cut to `width` characters. */
export function shortBody(body: unknown, width = 50): string {
  const text = JSON.stringify(body) ?? '';
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}

/** An error on stderr: one line for people, or `{"error": {...}}` for scripts. */
export function printError(error: unknown, json: boolean): void {
  if (error instanceof PostboxError) {
    const body = { error: { status: error.status, code: error.code, message: error.message } };
    const extra = error.retryAfterSeconds === undefined ? '' : ` (retry after ${error.retryAfterSeconds} s)`;
    process.stderr.write(
      json ? `${JSON.stringify(body)}\n` : `postbox: ${error.code}: ${error.message}${extra}\n`,
    );
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof Error && error.name === 'UsageError' ? 'UsageError' : 'Error';
  process.stderr.write(json ? `${JSON.stringify({ error: { code, message } })}\n` : `postbox: ${message}\n`);
}
