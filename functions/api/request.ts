/**
 * Reading a request's body and query the way the contract asks: the body is JSON whatever the
 * Content-Type says (it may be absent), at most 1 MiB, an object; unknown or repeated query
 * parameters are refused rather than ignored.
 */
import { ValidationError } from '../core/errors';
import { invalidJson, RequestTooLargeError } from './errors';

/** 1 MiB: the largest request accepted. */
export const MAX_REQUEST_BYTES = 1_048_576;

const tooLarge = () =>
  new RequestTooLargeError(
    `The request is larger than 1 MiB (${MAX_REQUEST_BYTES.toLocaleString('en-US')} bytes).`,
  );

/** Refuses a request that announces more than 1 MiB before a byte of it is read. */
export function checkDeclaredLength(request: Request): void {
  const declared = request.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared) > MAX_REQUEST_BYTES) {
    throw tooLarge();
  }
}

/**
 * Reads the body, stopping as soon as it passes 1 MiB, so a huge upload (or one that lies about
 * its length) costs no more than 1 MiB of memory.
 */
async function readLimited(request: Request): Promise<Uint8Array> {
  checkDeclaredLength(request);
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_REQUEST_BYTES) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/**
 * The body as a JSON object. An empty body is `{}` where every field of the route is optional
 * (`emptyIsObject`), and `400 InvalidJson` where a field is required.
 */
export async function readJsonObject(
  request: Request,
  options: { emptyIsObject: boolean },
): Promise<Record<string, unknown>> {
  const bytes = await readLimited(request);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw invalidJson('The request body is not valid UTF-8.');
  }
  if (text.trim() === '') {
    if (options.emptyIsObject) return {};
    throw invalidJson('The request body is empty; this route needs a JSON object.');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidJson('The request body is not valid JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidJson('The request body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}

/**
 * The query string as a plain object of strings. A parameter given twice is refused: which one
 * would win is a guess the caller should not have to make.
 */
export function readQuery(url: string): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [key, value] of new URL(url).searchParams) {
    if (Object.hasOwn(query, key)) {
      throw new ValidationError(`Query parameter '${key}' is given more than once.`);
    }
    Object.defineProperty(query, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return query;
}
