/**
 * Opaque page cursors: base64url JSON with a kind tag. Decoding checks the shape strictly, so a
 * cursor this server did not issue is a ValidationError, never a malformed store request.
 */
import { ValidationError } from './errors';

type CursorKind = 'queues' | 'messages' | 'topics' | 'schedules';

export function encodeCursor(kind: CursorKind, data: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify({ v: 1, kind, ...data }), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, kind: CursorKind): Record<string, unknown> {
  let parsed: unknown;
  try {
    if (!/^[A-Za-z0-9_-]{1,4096}$/.test(cursor)) throw new Error('not base64url');
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalidCursor();
  const { v, kind: actual, ...data } = parsed as Record<string, unknown>;
  if (v !== 1 || actual !== kind) throw invalidCursor();
  return data;
}

export const invalidCursor = () =>
  new ValidationError('cursor: not a cursor issued by this server for this listing.');
