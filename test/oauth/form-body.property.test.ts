import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { invalidRequest, OAuthError } from '../../src/oauth/errors.js';
import { parseFormBody, parseFormText } from '../../src/oauth/form-body.js';

// The parser before its fast path (issue #5), kept as the oracle: the fast parser must accept and
// refuse exactly what it did, with the same parameters and the same error descriptions.
const oracle = (() => {
  const FORM_TYPE = 'application/x-www-form-urlencoded';
  const utf8 = new TextDecoder('utf-8', { fatal: true });

  function parseFormBody(contentType: string | undefined, body: Buffer | undefined): Map<string, string> {
    requireFormContentType(contentType);
    const text = decodeUtf8(body ?? Buffer.alloc(0), 'the request body is not valid UTF-8');
    return parseFormText(text, 'request body');
  }

  function parseFormText(text: string, where: string): Map<string, string> {
    const parameters = new Map<string, string>();
    for (const pair of text.split('&')) {
      if (pair === '') continue;
      const separator = pair.indexOf('=');
      const name = decodeComponent(separator === -1 ? pair : pair.slice(0, separator), where);
      const value = separator === -1 ? '' : decodeComponent(pair.slice(separator + 1), where);
      if (parameters.has(name))
        throw invalidRequest(`parameter '${name.slice(0, 64)}' is sent more than once`);
      parameters.set(name, value);
    }
    for (const [name, value] of parameters) if (value === '') parameters.delete(name);
    return parameters;
  }

  function requireFormContentType(contentType: string | undefined): void {
    if (contentType === undefined) {
      throw invalidRequest(`the request has no Content-Type; send the parameters as ${FORM_TYPE}`);
    }
    const [mediaType = '', ...params] = contentType.split(';').map((part) => part.trim());
    if (mediaType.toLowerCase() !== FORM_TYPE) {
      throw invalidRequest(`Content-Type must be ${FORM_TYPE}, got '${mediaType.slice(0, 100)}'`);
    }
    for (const param of params) {
      const [key = '', value = ''] = param.split('=').map((s) => s.trim().replace(/^"|"$/g, ''));
      if (key.toLowerCase() === 'charset' && value.toLowerCase() !== 'utf-8') {
        throw invalidRequest(`charset must be UTF-8, got '${value.slice(0, 40)}'`);
      }
    }
  }

  function decodeUtf8(bytes: Buffer, message: string): string {
    try {
      return utf8.decode(bytes);
    } catch {
      throw invalidRequest(message);
    }
  }

  function decodeComponent(raw: string, where: string): string {
    try {
      return decodeURIComponent(raw.replaceAll('+', ' '));
    } catch {
      throw invalidRequest(
        `the ${where} has an invalid percent-encoding or a percent-encoded byte that is not UTF-8`,
      );
    }
  }

  return { parseFormBody, parseFormText };
})();

type Outcome = { entries: [string, string][] } | { error: string; description: string };

function outcome(parse: () => ReadonlyMap<string, string>): Outcome {
  try {
    return { entries: [...parse()] };
  } catch (error) {
    assert.ok(error instanceof OAuthError, `not an OAuthError: ${error}`);
    return { error: error.error, description: error.description };
  }
}

/**
 * Pieces a form is made of, the troublesome ones often: separators, '+', '%' alone, at the end, or
 * before one or two non-hex characters, escapes of ASCII, of multi-byte UTF-8 (whole, truncated,
 * overlong, surrogates, beyond U+10FFFF), and raw non-ASCII and lone surrogates.
 */
const piece = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('&', '=', '+', '%', 'a', 'B', '0', 'f', 'F', 'g', ' ', '.', '-') },
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      '%2',
      '%2B',
      '%2b',
      '%25',
      '%20',
      '%26',
      '%3D',
      '%3d',
      '%00',
      '%7F',
      '%80',
      '%FF',
      '%ff',
      '%C3%A9',
      '%C3',
      '%A9',
      '%C0%AF',
      '%E2%82%AC',
      '%E2%82',
      '%ED%A0%80',
      '%ED%BF%BF',
      '%F0%9F%98%80',
      '%F4%90%80%80',
      '%EF%BB%BF',
      '%g0',
      '%0g',
      '%%',
      '%+',
      '+%',
      '%-1',
      'é',
      '€',
      '\u{1F600}',
      '\uD800',
      '\uDC00',
      '\uFEFF',
    ),
  },
  {
    weight: 2,
    arbitrary: fc
      .string({ unit: fc.constantFrom(...'0123456789abcdefABCDEFgG'), maxLength: 3 })
      .map((hex) => `%${hex}`),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
);
const formText = fc.array(piece, { maxLength: 24 }).map((pieces) => pieces.join(''));
/** Forms of names and values, some repeated or empty. */
const structuredForm = fc
  .array(
    fc.tuple(
      fc.constantFrom('scope', 'grant_type', 'client_id', 'a', 'a%20b', 'a+b', 'sc%6Fpe', '%', ''),
      fc.option(formText, { nil: undefined }),
    ),
    { maxLength: 6 },
  )
  .map((pairs) => pairs.map(([name, value]) => (value === undefined ? name : `${name}=${value}`)).join('&'));

const RUNS = { numRuns: 5_000 };

describe('parseFormText and parseFormBody (fast path) against the parser before it', () => {
  it('agree on arbitrary text built from troublesome pieces', () => {
    fc.assert(
      fc.property(fc.oneof(formText, structuredForm), (text) => {
        assert.deepEqual(
          outcome(() => parseFormText(text, 'query')),
          outcome(() => oracle.parseFormText(text, 'query')),
        );
      }),
      RUNS,
    );
  });

  it('agree on arbitrary strings, lone surrogates included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }), (text) => {
        assert.deepEqual(
          outcome(() => parseFormText(text, 'query')),
          outcome(() => oracle.parseFormText(text, 'query')),
        );
      }),
      RUNS,
    );
  });

  it('agree on arbitrary bytes as a body, and on the UTF-8 encoding of arbitrary forms', () => {
    const FORM = 'application/x-www-form-urlencoded';
    const body = fc.oneof(
      fc.uint8Array({ maxLength: 48 }).map((bytes) => Buffer.from(bytes)),
      fc.oneof(formText, structuredForm).map((text) => Buffer.from(text)),
    );
    fc.assert(
      fc.property(body, (bytes) => {
        assert.deepEqual(
          outcome(() => parseFormBody(FORM, bytes)),
          outcome(() => oracle.parseFormBody(FORM, bytes)),
        );
      }),
      RUNS,
    );
  });

  it('agree on arbitrary Content-Type headers', () => {
    const part = fc.constantFrom(
      'application/x-www-form-urlencoded',
      'Application/X-WWW-Form-Urlencoded',
      'application/x-www-form-urlencoded ',
      ' application/x-www-form-urlencoded',
      'application/json',
      ';',
      '; ',
      ' ',
      'charset',
      'Charset',
      '=',
      '"',
      'utf-8',
      'UTF-8',
      'utf8',
      'iso-8859-1',
      '',
    );
    const contentType = fc.oneof(
      fc.array(part, { maxLength: 8 }).map((parts) => parts.join('')),
      fc.string({ maxLength: 40 }),
      fc.constant(undefined),
    );
    fc.assert(
      fc.property(contentType, (type) => {
        const body = Buffer.from('grant_type=client_credentials&scope=api');
        assert.deepEqual(
          outcome(() => parseFormBody(type, body)),
          outcome(() => oracle.parseFormBody(type, body)),
        );
      }),
      RUNS,
    );
  });

  it('agree on hand-picked percent-encoding edge cases', () => {
    const cases = [
      '',
      '&',
      '&&',
      '=',
      '==',
      'a',
      'a=',
      'a==',
      'a=b=c',
      '=b',
      '%',
      'a=%',
      'a=%2',
      'a=%2G',
      'a=%G2',
      'a=%%32',
      'a=%252',
      'a=%25',
      'a=%2B+%20',
      'a=+',
      '+=+',
      '%2B=1',
      'a%3Db=c',
      'a=%E2%82%AC',
      'a=%E2%82',
      'a=%E2%82%',
      'a=%ED%A0%80',
      'a=%C0%AF',
      'a=%F4%90%80%80',
      'a=%EF%BB%BF',
      'a=%00',
      'a=1&a=',
      'a=&a=1',
      'a&a',
      'a=1&%61=2',
      'a+b=1&a%20b=2',
      'scope=&scope=',
      '\uD800=1',
      'a=\uDC00%41',
    ];
    for (const text of cases) {
      assert.deepEqual(
        outcome(() => parseFormText(text, 'query')),
        outcome(() => oracle.parseFormText(text, 'query')),
        text,
      );
    }
  });
});
