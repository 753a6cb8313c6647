import fc from 'fast-check';
import { ADMIN_TOKEN } from '../../helpers/admin-server.js';
import type { ClientCredentials } from '../../helpers/test-server.js';
import type { FuzzRequest } from './fuzz-target.js';

/** The body limit of the OAuth endpoints (16 KiB) and of the admin API (64 KiB). */
const OAUTH_LIMIT = 16 * 1024;
const ADMIN_LIMIT = 64 * 1024;

const b64 = (value: string | Buffer) => Buffer.from(value).toString('base64');
/** Well-formed UTF-16 (a lone surrogate becomes U+FFFD), as any UTF-8 encoder would send it. */
export const wellFormed = (value: string): string => Buffer.from(value, 'utf8').toString('utf8');

/** RFC 6749 Appendix B: form-urlencoding, spaces as '+'. */
export const formEncode = (value: string): string =>
  encodeURIComponent(wellFormed(value)).replaceAll('%20', '+');

/**
 * A caller's address for requests that may fail authentication (inject opens no socket). Fresh
 * addresses keep the brute-force throttle mostly out of the way; 127.254.x.x is left to
 * `cleanAddress`, so that a request with the right credentials is never refused for an address
 * that happened to fail before.
 */
export const remoteAddress: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 9,
    arbitrary: fc.tuple(fc.nat(253), fc.nat(255), fc.nat(255)).map(([a, b, c]) => `127.${a}.${b}.${c}`),
  },
  { weight: 1, arbitrary: fc.constantFrom('::1', '::ffff:127.0.0.1') },
);

let cleanCounter = 0;
/** An address no failed authentication ever comes from: for requests that must be answered in full. */
export function cleanAddress(): string {
  cleanCounter = (cleanCounter + 1) % 65_536;
  return `127.254.${cleanCounter >> 8}.${cleanCounter & 255}`;
}

/** HTTP methods, the usual ones most often, WebDAV and odd ones too. */
export const method: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constant('POST') },
  { weight: 4, arbitrary: fc.constantFrom('GET', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS') },
  {
    weight: 1,
    arbitrary: fc.constantFrom('TRACE', 'PROPFIND', 'SEARCH', 'MKCOL', 'LOCK', 'REPORT', 'QUERY'),
  },
);

/** Text with what breaks parsers: NUL, controls, astral characters, lone surrogates, RTL marks. */
export const nastyText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    '\0',
    'a\0b',
    '\uD800',
    '\uDFFF',
    '\u202E',
    '\uFEFF',
    '😀',
    'é',
    '\r\n',
    ' ',
    '../../etc/passwd',
    '$' + '{jndi:x}',
    "' or 1=1 --",
    '%',
    '%zz',
    '%00',
    '+',
    '=',
    '&',
    'A'.repeat(300),
  ),
);

/** Percent-escapes that are invalid, decode to invalid UTF-8, overlong UTF-8, surrogates or NUL. */
export const badEscape: fc.Arbitrary<string> = fc.constantFrom(
  '%',
  '%z',
  '%zz',
  '%g0',
  '%%',
  '%ff',
  '%fe',
  '%80',
  '%c0%af',
  '%c0%80',
  '%e0%80%80',
  '%e0%80%af',
  '%f0%80%80%af',
  '%ed%a0%80',
  '%ed%bf%bf',
  '%f4%90%80%80',
  '%00',
  '%0d%0a',
);

/** Raw bytes that are not valid UTF-8: overlong forms, surrogates, truncated sequences, NUL. */
export const badUtf8Bytes: fc.Arbitrary<Buffer> = fc.oneof(
  fc.constantFrom(
    Buffer.from([0xc0, 0xaf]),
    Buffer.from([0xc0, 0x80]),
    Buffer.from([0xe0, 0x80, 0xaf]),
    Buffer.from([0xf0, 0x80, 0x80, 0xaf]),
    Buffer.from([0xed, 0xa0, 0x80]),
    Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]),
    Buffer.from([0xff, 0xfe]),
    Buffer.from([0xe2, 0x82]),
    Buffer.from([0x00]),
  ),
  fc.uint8Array({ minLength: 1, maxLength: 16 }).map((bytes) => Buffer.from(bytes)),
);

/** Header values as HTTP allows them: visible ASCII, space, tab and obs-text bytes. */
export const headerValue: fc.Arbitrary<string> = fc.oneof(
  fc.string({
    unit: fc
      .oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.constant(0x09), fc.integer({ min: 0x80, max: 0xff }))
      .map((code) => String.fromCharCode(code)),
    maxLength: 120,
  }),
  fc.constantFrom('', ' ', 'x'.repeat(4000)),
);

const TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
/** Header names: RFC 9110 token characters. */
export const headerName: fc.Arbitrary<string> = fc.string({
  unit: fc.constantFrom(...TOKEN_CHARS.split('')),
  minLength: 1,
  maxLength: 24,
});

/** Headers a server should not mind, and a few it must: Host, X-Forwarded-For, Accept, odd ones. */
export const extraHeaders: fc.Arbitrary<Record<string, string>> = fc
  .array(
    fc.oneof(
      fc.tuple(headerName, headerValue),
      fc.tuple(
        fc.constantFrom(
          'accept',
          'accept-encoding',
          'accept-charset',
          'x-forwarded-for',
          'x-forwarded-proto',
          'forwarded',
          'x-http-method-override',
          'origin',
          'cookie',
          'expect',
          'range',
          'if-none-match',
          'te',
          'upgrade',
        ),
        headerValue,
      ),
    ),
    { maxLength: 5 },
  )
  .map((pairs) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of pairs) {
      const lower = name.toLowerCase();
      // inject() computes these itself; a lying Content-Length is the parser's business, not ours.
      if (['content-length', 'transfer-encoding', 'content-type', 'authorization', 'host'].includes(lower))
        continue;
      headers[lower] = value;
    }
    return headers;
  });

/** Content types: the right one, near misses, wrong charsets, JSON, multipart, garbage, none. */
export const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 5, arbitrary: fc.constant('application/x-www-form-urlencoded') },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      undefined,
      'application/x-www-form-urlencoded; charset=UTF-8',
      'application/x-www-form-urlencoded;charset="utf-8"',
      'APPLICATION/X-WWW-FORM-URLENCODED',
      'application/x-www-form-urlencoded; charset=latin1',
      'application/x-www-form-urlencoded; charset=',
      'application/x-www-form-urlencoded;;;',
      'application/x-www-form-urlencoded; charset=utf-8; charset=latin1',
      'application/x-www-form-urlencodedx',
      'application/json',
      'application/json; charset=utf-8',
      'application/merge-patch+json',
      'multipart/form-data; boundary=----x',
      'multipart/form-data',
      'text/plain',
      'text/plain; charset=utf-8',
      'application/xml',
      'application/octet-stream',
      '*/*',
      '',
      ';',
      'x'.repeat(2000),
    ),
  },
  { weight: 1, arbitrary: headerValue },
);

/** Parameter names: the ones the endpoints know, and others. */
const parameterName: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'grant_type',
    'scope',
    'client_id',
    'client_secret',
    'token',
    'token_type_hint',
    'audience',
    'resource',
    '__proto__',
    'constructor',
  ),
  nastyText,
);

/** Form bodies: known and unknown parameters, raw or encoded, bad escapes, duplicates. */
export const formBody: fc.Arbitrary<string> = fc
  .array(
    fc.tuple(
      parameterName,
      fc.oneof(nastyText, fc.constantFrom('client_credentials', 'api', 'customer.', 'password')),
      fc.constantFrom('encoded', 'raw', 'bad-escape', 'no-equals'),
      badEscape,
    ),
    { maxLength: 10 },
  )
  .map((pairs) =>
    pairs
      .map(([name, value, style, badPart]) => {
        if (style === 'raw') return `${name}=${value}`;
        if (style === 'no-equals') return formEncode(name);
        if (style === 'bad-escape') return `${formEncode(name)}=${formEncode(value)}${badPart}`;
        return `${formEncode(name)}=${formEncode(value)}`;
      })
      .join('&'),
  );

/** Deeply nested JSON: arrays or objects, up to the admin body limit. */
export const deepJson: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 1, max: 30_000 }), fc.boolean())
  .map(([depth, arrays]) =>
    arrays ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
  );

/** Bodies of every kind, sized around the limits too. */
export const anyBody: fc.Arbitrary<Buffer | string | undefined> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 6, arbitrary: formBody },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 2048 }).map((bytes) => Buffer.from(bytes)) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(formBody, badUtf8Bytes, formBody)
      .map(([before, bad, after]) =>
        Buffer.concat([Buffer.from(`${before}&x=`), bad, Buffer.from(`&${after}`)]),
      ),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 100, max: 6000 })
      .map((count) => Array.from({ length: count }, (_, i) => `f${i}=v`).join('&')),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 2, max: 2000 })
      .map((count) => 'grant_type=client_credentials&'.repeat(count)),
  },
  { weight: 1, arbitrary: deepJson },
  { weight: 2, arbitrary: fc.json({ maxDepth: 4 }) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(OAUTH_LIMIT - 1, OAUTH_LIMIT, OAUTH_LIMIT + 1, ADMIN_LIMIT, ADMIN_LIMIT + 1)
      .map((size) => `grant_type=client_credentials&pad=${'a'.repeat(size - 34)}`),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom('\0', '\0\0\0', 'grant_type=client\0credentials', '&&&&', '=', '==&=='),
  },
);

/** Authorization headers in every malformed shape, and the right ones for `client`. */
export function authorization(client: ClientCredentials): fc.Arbitrary<string | undefined> {
  const basic = (id: string, secret: string) => `Basic ${b64(`${formEncode(id)}:${formEncode(secret)}`)}`;
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    {
      weight: 6,
      arbitrary: fc.oneof(
        fc.constant(basic(client.clientId, client.clientSecret)),
        fc.constant(`bAsIc ${b64(`${client.clientId}:${client.clientSecret}`)}`),
        fc.constant(`Basic    ${b64(`${client.clientId}:${client.clientSecret}`)}   `),
        nastyText.map((secret) => basic(client.clientId, secret)),
        nastyText.map((id) => basic(id, client.clientSecret)),
        fc.constantFrom(
          'Basic',
          'Basic ',
          'Basic    ',
          'basic',
          'Basic ====',
          'Basic =',
          'Basic a',
          'Basic YQ',
          'Basic YQ=',
          'Basic YQ==YQ==',
          'Basic Y Q==',
          'Basic !!!!',
          `Basic ${b64('no colon at all')}`,
          `Basic ${b64(':')}`,
          `Basic ${b64(':secret')}`,
          `Basic ${b64(`${client.clientId}:`)}`,
          `Basic ${b64(`%zz:${client.clientSecret}`)}`,
          `Basic ${b64(`${client.clientId}:%`)}`,
          `Basic ${b64(`\0${client.clientId}:\0${client.clientSecret}`)}`,
          `Basic ${b64(`${client.clientId}:${client.clientSecret}`).replaceAll('=', '')}`,
          `Basic ${b64(`${client.clientId}:${client.clientSecret}`)}=`,
          `Basic ${b64(`${client.clientId}:${client.clientSecret}`)}, Basic ${b64('a:b')}`,
          `Basic ${b64(`${client.clientId}:${client.clientSecret}`)} trailing`,
          `Basic ${b64(Buffer.from([0xc0, 0xaf, 0x3a, 0x61]))}`,
          `Basic ${b64(Buffer.from([0xed, 0xa0, 0x80, 0x3a, 0x61]))}`,
          `Basic ${'A'.repeat(8000)}`,
        ),
        badUtf8Bytes.map((bytes) => `Basic ${b64(Buffer.concat([bytes, Buffer.from(':'), bytes]))}`),
        fc.uint8Array({ maxLength: 64 }).map((bytes) => `Basic ${b64(Buffer.from(bytes))}`),
        headerValue.map((value) => `Basic ${value}`),
      ),
    },
    {
      weight: 3,
      arbitrary: fc.oneof(
        fc.constant(`Bearer ${ADMIN_TOKEN}`),
        fc.constantFrom(
          'Bearer',
          'Bearer ',
          `bearer ${ADMIN_TOKEN}`,
          `Bearer  ${ADMIN_TOKEN}  `,
          `Bearer ${ADMIN_TOKEN}x`,
          `Bearer ${ADMIN_TOKEN.slice(1)}`,
          `Bearer ${ADMIN_TOKEN.toUpperCase()}`,
          `Bearer ${ADMIN_TOKEN} ${ADMIN_TOKEN}`,
          `Bearer\t${ADMIN_TOKEN}`,
          `Basic ${b64(`admin:${ADMIN_TOKEN}`)}`,
          'Digest username="x", realm="y", nonce="z"',
          'Negotiate YIIB',
          'NTLM TlRMTVNTUAABAAAA',
          'AWS4-HMAC-SHA256 Credential=x',
          ' ',
        ),
        headerValue.map((value) => `Bearer ${value}`),
        headerValue,
      ),
    },
  );
}

/** A URL that is `path` or a near miss of it: trailing slash, case, doubled slashes, query, escapes. */
export function nearPath(path: string): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.constant(path) },
    {
      weight: 3,
      arbitrary: fc.oneof(
        fc.constantFrom(
          `${path}/`,
          path.toUpperCase(),
          `/${path}`,
          `${path}?`,
          `${path}?grant_type=client_credentials`,
          `${path}?client_secret=x&client_secret=y`,
          `${path}#frag`,
          `${path};jsessionid=1`,
          `${path}/..`,
          `${path}/%2e%2e`,
          `${path}%00`,
          `${path}%`,
          `${path}%zz`,
          `${path}%c0%af`,
          `${path}/${'a'.repeat(3000)}`,
          `${path}?${'a=1&'.repeat(500)}`,
          path.replace(/\//g, '%2f'),
          path.replace(/\//g, '//'),
        ),
        fc
          .tuple(badEscape, nastyText)
          .map(([badPart, text]) => `${path}/${badPart}${encodeURIComponent(wellFormed(text))}`),
        formBody.map((query) => `${path}?${query}`),
      ),
    },
  );
}

/** A fully random request to one of `paths`, authenticated (or not) as `client` or with anything. */
export function anyRequest(paths: readonly string[], client: ClientCredentials): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      method,
      url: fc.constantFrom(...paths).chain(nearPath),
      extra: extraHeaders,
      authorization: authorization(client),
      contentType,
      body: anyBody,
      remoteAddress,
    })
    .map(({ method, url, extra, authorization, contentType, body, remoteAddress }) => {
      const headers: Record<string, string> = { ...extra };
      if (authorization !== undefined) headers.authorization = authorization;
      if (contentType !== undefined) headers['content-type'] = contentType;
      // A GET or HEAD with a body is legal HTTP, but inject() refuses it: send those without.
      const withBody = method !== 'GET' && method !== 'HEAD';
      return { method, url, headers, body: withBody ? body : undefined, remoteAddress };
    });
}

/** Mutates one character of `text` (never the last: its spare base64 bits could leave it valid). */
export function mutate(text: string, position: number, replacement: string): string {
  if (text.length < 2) return `${text}x`;
  const index = position % (text.length - 1);
  const current = text[index];
  const next = current === replacement ? (replacement === 'A' ? 'B' : 'A') : replacement;
  return `${text.slice(0, index)}${next}${text.slice(index + 1)}`;
}
