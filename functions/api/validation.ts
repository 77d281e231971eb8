/**
 * Zod issues → the contract's `400 ValidationError`, whose message names the offending field by
 * its path (`attributes.k`, `messages[2].priority`, `receipts[0]`).
 */
import type { z } from '@hono/zod-openapi';
import { ValidationError } from '../core/errors';

const MAX_ISSUES_IN_MESSAGE = 5;

/** `['messages', 2, 'attributes', 'k']` → `messages[2].attributes.k`, after `prefix` if any. */
export function fieldPath(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

type Issue = z.core.$ZodIssue;

function describe(issue: Issue, prefix: string, what: 'field' | 'query parameter'): string[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => `Unknown ${what} '${fieldPath([...issue.path, key], prefix)}'.`);
  }
  const name = fieldPath(issue.path, prefix) || (what === 'field' ? 'body' : 'query');
  if (issue.code === 'invalid_key') {
    const inner = issue.issues[0]?.message ?? 'is not allowed';
    return [`'${name}': ${inner}.`];
  }
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) {
    return [`'${name}' is required.`];
  }
  const detail = issue.message.replace(/^Invalid input: /, '');
  return [`'${name}': ${detail}.`];
}

/** One readable message for all issues (the first few), each naming its field. */
export function issuesMessage(
  issues: readonly Issue[],
  options: { prefix?: string; what?: 'field' | 'query parameter' } = {},
): string {
  const lines = issues.flatMap((issue) => describe(issue, options.prefix ?? '', options.what ?? 'field'));
  const shown = lines.slice(0, MAX_ISSUES_IN_MESSAGE);
  if (lines.length > shown.length) shown.push(`(${lines.length - shown.length} more)`);
  return shown.join(' ');
}

/** Parses `input` with `schema`, or throws ValidationError naming the fields at fault. */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  input: unknown,
  options: { prefix?: string; what?: 'field' | 'query parameter' } = {},
): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationError(issuesMessage(result.error.issues, options));
  return result.data;
}
