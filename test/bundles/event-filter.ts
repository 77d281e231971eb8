/**
 * Lambda's event filtering, for the operators the stack's stream filter uses: a record is
 * delivered when it matches one of the mapping's patterns. Per pattern key: an object descends
 * into the record; a list matches when the record's value equals one of its literals or starts
 * with one of its `{ prefix }`. Any other operator throws, so a new one in the stack cannot pass
 * unnoticed as "matches".
 */
type Pattern = { [key: string]: Pattern | PatternEntry[] };
type PatternEntry = string | number | boolean | null | { prefix: string };

export function matchesAny(patterns: readonly unknown[], record: unknown): boolean {
  return patterns.some((pattern) => matches(pattern as Pattern, record));
}

function matches(pattern: Pattern, value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(pattern).every(([key, rule]) => {
    const field = (value as Record<string, unknown>)[key];
    if (!Array.isArray(rule)) return matches(rule, field);
    const candidates = Array.isArray(field) ? field : [field];
    return candidates.some((candidate) => rule.some((entry) => entryMatches(entry, candidate)));
  });
}

function entryMatches(entry: PatternEntry, value: unknown): boolean {
  if (entry === null || typeof entry !== 'object') return value !== undefined && entry === value;
  const operators = Object.keys(entry);
  if (operators.length !== 1 || operators[0] !== 'prefix') {
    throw new Error(`filter operator ${JSON.stringify(entry)} is not modelled here`);
  }
  return typeof value === 'string' && value.startsWith(entry.prefix);
}
