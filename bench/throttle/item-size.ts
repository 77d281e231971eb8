/**
 * DynamoDB's item size arithmetic, as its developer guide states it ("Item sizes and formats"):
 * an item is the sum of its attribute names (UTF-8 bytes) and values; a string is its UTF-8
 * bytes, a number about one byte per two significant digits plus one, binary its bytes, a
 * boolean or null one byte, a list or map 3 bytes plus one per element plus its elements, a set
 * the sum of its elements. A write costs one unit per started KB of the item (at least one);
 * a global secondary index entry is its key attributes, the table's key, the projected
 * attributes and 100 bytes of overhead.
 */

/** One attribute value in DynamoDB's JSON wire form ({"S": "…"}, {"N": "12"}, {"M": {…}}, …). */
export type WireValue = Record<string, unknown>;
export type WireItem = Record<string, WireValue>;

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

function numberSize(text: string): number {
  const digits = text
    .replace(/^[-+]/, '')
    .replace(/[eE].*$/, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

export function valueSize(value: WireValue | undefined): number {
  if (!value) return 0;
  const [type, content] = Object.entries(value)[0] ?? [];
  switch (type) {
    case 'S':
      return utf8(String(content));
    case 'N':
      return numberSize(String(content));
    case 'B':
      // Binary travels base64-encoded in the JSON protocol (the SDK's own values are bytes).
      return content instanceof Uint8Array ? content.length : Buffer.from(String(content), 'base64').length;
    case 'BOOL':
    case 'NULL':
      return 1;
    case 'SS':
      return (content as string[]).reduce((sum, s) => sum + utf8(s), 0);
    case 'NS':
      return (content as string[]).reduce((sum, n) => sum + numberSize(n), 0);
    case 'BS':
      return (content as string[]).reduce((sum, b) => sum + Buffer.from(b, 'base64').length, 0);
    case 'L': {
      const list = content as WireValue[];
      return 3 + list.length + list.reduce((sum, element) => sum + valueSize(element), 0);
    }
    case 'M': {
      const map = content as WireItem;
      const entries = Object.entries(map);
      return (
        3 +
        entries.length +
        entries.reduce((sum, [name, element]) => sum + utf8(name) + valueSize(element), 0)
      );
    }
    default:
      return 0;
  }
}

/** One attribute's share of an item: its name and its value. */
export const attributeSize = (name: string, value: WireValue | undefined) => utf8(name) + valueSize(value);

export const itemSize = (item: WireItem) =>
  Object.entries(item).reduce((sum, [name, value]) => sum + attributeSize(name, value), 0);

/** Write units of one write of an item of `bytes` (1 KB each, rounded up, at least one). */
export const writeUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));

/** DynamoDB's per-entry overhead of a global secondary index. */
export const INDEX_ENTRY_OVERHEAD = 100;
