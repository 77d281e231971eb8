/**
 * How the CLI reads a message body given on the command line or stdin. Text that is meant as JSON
 * is sent as that JSON, other text as a string, and text that is meant as JSON but does not parse
 * is a usage error: sending `{"a":` as the string `'{"a":'` would quietly store the wrong thing.
 *
 * "Meant as JSON": it starts (after blanks) with `{`, `[` or `"`, or it is exactly `true`,
 * `false`, `null` or a JSON number (`42`, `-1.5`, `2e3`). Everything else is plain text: `hello`,
 * `42 apples`, `1.2.3`, `007` (JSON has no leading zeros: a zip code stays a string).
 * `--string` sends any text as a string.
 */
import { UsageError } from './exit-codes';

const jsonNumber = /^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$/;

/** Whether a person writing `text` most likely meant JSON. */
export function meantAsJson(text: string): boolean {
  const trimmed = text.trim();
  return /^[[{"]/.test(trimmed) || ['true', 'false', 'null'].includes(trimmed) || jsonNumber.test(trimmed);
}

/**
 * The body to send for `text`. `where` names the input in the error (`BODY`, `stdin`).
 * @throws UsageError when the text is meant as JSON but is not valid JSON
 */
export function parseBody(text: string, asString = false, where = 'BODY'): unknown {
  if (asString || !meantAsJson(text)) return text;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `${where} looks like JSON but does not parse (${(error as Error).message}). ` +
        'Correct it, or add --string to send it as text.',
    );
  }
}
