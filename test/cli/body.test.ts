/**
 * Which command-line bodies are meant as JSON (body.ts): those are sent as JSON or refused when
 * they do not parse; everything else is sent as the text it is.
 */
import { describe, expect, it } from 'vitest';
import { meantAsJson, parseBody } from '../../client/cli/body';
import { UsageError } from '../../client/cli/exit-codes';

describe('parseBody', () => {
  it.each([
    ['{"a": 1}', { a: 1 }],
    [' [1, 2] ', [1, 2]],
    ['"text"', 'text'],
    ['42', 42],
    ['-1.5e3', -1500],
    ['true', true],
    ['null', null],
  ])('sends %s as JSON', (text, value) => {
    expect(meantAsJson(text)).toBe(true);
    expect(parseBody(text)).toEqual(value);
  });

  it.each(['hello', 'plain text', '42 apples', '1.2.3', '007', '+5', 'True', 'nullable', ''])(
    'sends %j as the string it is',
    (text) => {
      expect(meantAsJson(text)).toBe(false);
      expect(parseBody(text)).toBe(text);
    },
  );

  it.each(['{"a":', '[1, 2', '"unterminated', "{'a': 1}", '{"a": 1} trailing'])(
    'refuses %j, meant as JSON but not JSON, with a usage error',
    (text) => {
      expect(() => parseBody(text)).toThrow(UsageError);
      expect(() => parseBody(text, false, 'BODY')).toThrow(
        /^BODY looks like JSON but does not parse \(.+\)\. Correct it, or add --string to send it as text\.$/,
      );
    },
  );

  it('sends anything as a string with --string', () => {
    expect(parseBody('{"a":', true)).toBe('{"a":');
    expect(parseBody('42', true)).toBe('42');
  });
});
