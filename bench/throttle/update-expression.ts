/**
 * What an UpdateExpression does to an item's attribute sizes, enough for write-unit arithmetic:
 * which top-level attributes it sets, adds to or removes, the size of each new value, and the new
 * value itself when it is a plain placeholder (the index key attributes are always set that way).
 *
 * Approximations (documented in docs/performance.md): a SET whose value is an expression
 * (`if_not_exists(#a, :v)`, `#a + :n`) is sized as the sum of its placeholders, plus the old
 * attribute for `list_append`; ADD of a number keeps the larger of the old and the added value's
 * size, ADD of a set adds the elements; DELETE (from a set) is taken as leaving the size unchanged.
 */
import { attributeSize, type WireItem, type WireValue } from './item-size';

export interface AttributeShape {
  /** Top-level attribute name → its bytes (name + value). */
  sizes: Record<string, number>;
  /** The raw values of the few attributes whose value matters (the index keys). */
  values: Record<string, WireValue>;
}

const CLAUSE = /\b(SET|REMOVE|ADD|DELETE)\b/gi;

/** Splits at commas outside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  if (current.trim() !== '') parts.push(current);
  return parts.map((part) => part.trim()).filter((part) => part !== '');
}

/** The top-level attribute a document path names (`#a.#b[2]` → the name `#a` stands for). */
function topLevel(path: string, names: Record<string, string>): string {
  const first = path.trim().split(/[.[]/)[0] ?? '';
  return first.startsWith('#') ? (names[first] ?? first) : first;
}

const placeholders = (text: string) => text.match(/:[A-Za-z0-9_]+/g) ?? [];

/** Applies `expression` to `before` (undefined: the item does not exist yet) and answers the shape after. */
export function applyUpdate(
  before: AttributeShape | undefined,
  expression: string,
  names: Record<string, string> = {},
  values: WireItem = {},
): AttributeShape {
  const after: AttributeShape = {
    sizes: { ...(before?.sizes ?? {}) },
    values: { ...(before?.values ?? {}) },
  };
  const clauses: { keyword: string; body: string }[] = [];
  const matches = [...expression.matchAll(CLAUSE)];
  matches.forEach((match, index) => {
    const start = (match.index ?? 0) + match[0].length;
    const end = matches[index + 1]?.index ?? expression.length;
    clauses.push({ keyword: match[0].toUpperCase(), body: expression.slice(start, end) });
  });
  const valueBytes = (placeholder: string) => attributeSize('', values[placeholder]);
  for (const { keyword, body } of clauses) {
    for (const action of splitTopLevel(body)) {
      if (keyword === 'SET') {
        const at = action.indexOf('=');
        const name = topLevel(action.slice(0, at), names);
        const valueExpression = action.slice(at + 1).trim();
        const used = placeholders(valueExpression);
        let bytes = used.reduce((sum, placeholder) => sum + valueBytes(placeholder), 0);
        if (/list_append/i.test(valueExpression))
          bytes += Math.max(0, (after.sizes[name] ?? 0) - name.length);
        after.sizes[name] = attributeSize(name, undefined) + bytes;
        const plain = /^:[A-Za-z0-9_]+$/.test(valueExpression) ? values[valueExpression] : undefined;
        if (plain) after.values[name] = plain;
        else delete after.values[name];
      } else if (keyword === 'REMOVE') {
        const name = topLevel(action, names);
        delete after.sizes[name];
        delete after.values[name];
      } else if (keyword === 'ADD') {
        const [path = '', placeholder = ''] = action.split(/\s+/);
        const name = topLevel(path, names);
        const added = values[placeholder];
        const old = Math.max(0, (after.sizes[name] ?? 0) - attributeSize(name, undefined));
        const bytes =
          added && 'N' in added ? Math.max(old, valueBytes(placeholder)) : old + valueBytes(placeholder);
        after.sizes[name] = attributeSize(name, undefined) + bytes;
        delete after.values[name];
      }
      // DELETE (elements from a set): the size is left as it was (an upper bound).
    }
  }
  return after;
}

/** The shape of a whole item, as a Put writes it or a read returns it. */
export function shapeOf(item: WireItem, keepValues: readonly string[]): AttributeShape {
  const shape: AttributeShape = { sizes: {}, values: {} };
  for (const [name, value] of Object.entries(item)) {
    shape.sizes[name] = attributeSize(name, value);
    if (keepValues.includes(name)) shape.values[name] = value;
  }
  return shape;
}

export const shapeSize = (shape: AttributeShape | undefined) =>
  shape ? Object.values(shape.sizes).reduce((sum, bytes) => sum + bytes, 0) : 0;
