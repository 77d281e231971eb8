/**
 * The API's input rules (docs/api.md), checked in the page before a request, so a form says
 * which field is wrong at once. The server checks again; its answer is shown when it disagrees.
 */

export type Errors = Record<string, string>;

export const NAME_PATTERN = /^[A-Za-z0-9_-]{1,80}$/;
const ATTRIBUTE_KEY = /^[A-Za-z0-9_.-]{1,64}$/;
/** Attribute keys as the API takes them. */
export const ATTRIBUTE_KEY_PATTERN = ATTRIBUTE_KEY;
const MAX_PAYLOAD_BYTES = 262_144;
const DAY_MS = 86_400_000;

export function checkName(value: string, what: 'queue' | 'topic'): string | undefined {
  if (value === '') return `Enter a ${what} name.`;
  if (!NAME_PATTERN.test(value)) {
    return `A ${what} name is 1-80 letters, digits, '_' or '-' (no spaces or other characters).`;
  }
  return undefined;
}

/**
 * An integer field: undefined for empty (left out of the request), else the number; a problem is
 * written into `errors[field]`.
 */
export function integerField(
  errors: Errors,
  field: string,
  text: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  if (!/^-?\d+$/.test(trimmed)) {
    errors[field] = 'Enter a whole number.';
    return undefined;
  }
  const value = Number(trimmed);
  if (value < min || value > max) {
    errors[field] =
      max === Number.MAX_SAFE_INTEGER ? `Must be ${min} or more.` : `Must be between ${min} and ${max}.`;
    return undefined;
  }
  return value;
}

/** The body box: JSON when it parses (or must), else the text as a JSON string. */
export function parseBody(errors: Errors, text: string, asJson: boolean): unknown {
  if (!asJson) {
    if (text === '') errors.body = 'Enter a body.';
    return text;
  }
  if (text.trim() === '') {
    errors.body = 'Enter a body (any JSON value except null).';
    return undefined;
  }
  try {
    const value: unknown = JSON.parse(text);
    if (value === null) errors.body = 'The body cannot be null.';
    return value;
  } catch (error) {
    errors.body = `Not valid JSON: ${(error as Error).message}. Untick "Body is JSON" to send it as text.`;
    return undefined;
  }
}

export interface AttributeRow {
  key: string;
  value: string;
}

export function attributesOf(errors: Errors, rows: AttributeRow[]): Record<string, string> | undefined {
  const filled = rows.filter((row) => row.key !== '' || row.value !== '');
  if (filled.length > 10) errors.attributes = 'At most 10 attributes.';
  const attributes: Record<string, string> = {};
  filled.forEach((row, index) => {
    if (!ATTRIBUTE_KEY.test(row.key)) {
      errors[`attribute.${index}`] = `Attribute key ${index + 1}: 1-64 letters, digits, '_', '.' or '-'.`;
    } else if (Object.hasOwn(attributes, row.key)) {
      errors[`attribute.${index}`] = `Attribute key ${row.key} appears twice.`;
    } else {
      attributes[row.key] = row.value;
    }
  });
  return filled.length === 0 ? undefined : attributes;
}

/** A `datetime-local` value (the browser's time zone) as an ISO-8601 UTC time, at most 365 days ahead. */
export function dueTimeField(
  errors: Errors,
  field: string,
  text: string,
  now = Date.now(),
): string | undefined {
  if (text === '') {
    errors[field] = 'Choose a due time.';
    return undefined;
  }
  const time = new Date(text).getTime();
  if (Number.isNaN(time)) {
    errors[field] = 'Not a valid date and time.';
    return undefined;
  }
  if (time > now + 365 * DAY_MS) {
    errors[field] = 'At most 365 days ahead.';
    return undefined;
  }
  return new Date(time).toISOString();
}

export function optionalText(errors: Errors, field: string, text: string, label: string): string | undefined {
  if (text === '') return undefined;
  if (text.length > 128) errors[field] = `${label} is 1-128 characters.`;
  return text;
}

export function checkPayloadSize(
  errors: Errors,
  body: unknown,
  attributes: Record<string, string> = {},
): void {
  if (body === undefined) return;
  const bytes = new TextEncoder().encode(JSON.stringify(body) + JSON.stringify(attributes)).length;
  if (bytes > MAX_PAYLOAD_BYTES) {
    errors.body = `Body and attributes are ${bytes.toLocaleString('en')} bytes; the limit is 262,144.`;
  }
}

export const hasErrors = (errors: Errors) => Object.keys(errors).length > 0;

/** A subscription's filter box: empty for none, else JSON `{"key": ["value", ...]}`. */
export function parseFilter(
  errors: Errors,
  field: string,
  text: string,
): Record<string, string[]> | undefined {
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    errors[field] = `Not valid JSON: ${(error as Error).message}.`;
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    errors[field] = 'A filter is an object such as {"type": ["created", "updated"]}.';
    return undefined;
  }
  for (const [key, values] of Object.entries(value)) {
    if (!ATTRIBUTE_KEY.test(key) || key === '__proto__') {
      errors[field] = `Filter key ${JSON.stringify(key)}: 1-64 letters, digits, '_', '.' or '-'.`;
    } else if (!Array.isArray(values) || values.some((v) => typeof v !== 'string')) {
      errors[field] = `Filter key ${key}: a list of strings, e.g. ["created"].`;
    }
  }
  return value as Record<string, string[]>;
}
