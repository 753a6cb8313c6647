import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readClientCredentials } from '../../src/oauth/client-authentication.js';
import { OAuthError } from '../../src/oauth/errors.js';

const params = (entries: Record<string, string>) => new Map(Object.entries(entries));
/** The credentials of a request with these body parameters and this Authorization header. */
const read = (parameters: ReadonlyMap<string, string>, authorization: string | undefined) =>
  readClientCredentials(
    {
      authorization,
      dpop: undefined,
      contentType: undefined,
      body: undefined,
      query: '',
      sourceIp: () => '192.0.2.1',
      clientCertificate: () => undefined,
    },
    parameters,
  );
const basic = (user: string, pass: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(user)}:${encodeURIComponent(pass)}`).toString('base64')}`;

function refusal(parameters: Record<string, string>, authorization?: string): OAuthError {
  try {
    read(params(parameters), authorization);
  } catch (error) {
    assert.ok(error instanceof OAuthError);
    return error;
  }
  assert.fail('the credentials were accepted');
}

describe('readClientCredentials', () => {
  it('reads client_secret_post', () => {
    assert.deepEqual(read(params({ client_id: 'a', client_secret: 'b' }), undefined), {
      clientId: 'a',
      clientSecret: 'b',
      method: 'client_secret_post',
    });
  });

  it('reads client_secret_basic, form-decoding both parts (RFC 6749 §2.3.1)', () => {
    const credentials = read(params({}), basic('id:with colon', 'sec+ret/='));
    assert.deepEqual(credentials, {
      clientId: 'id:with colon',
      clientSecret: 'sec+ret/=',
      method: 'client_secret_basic',
    });
    assert.equal(read(params({}), 'basic  YTpi').clientId, 'a'); // scheme is case-insensitive
  });

  it('accepts a client_id in the body that repeats the Basic one', () => {
    assert.equal(read(params({ client_id: 'a' }), basic('a', 'b')).method, 'client_secret_basic');
    const mismatch = refusal({ client_id: 'other' }, basic('a', 'b'));
    assert.equal(mismatch.error, 'invalid_request');
  });

  it('refuses credentials in both the header and the body', () => {
    const error = refusal({ client_id: 'a', client_secret: 'b' }, basic('a', 'b'));
    assert.equal(error.error, 'invalid_request');
    assert.match(error.description, /both in the Authorization header and in the body/);
  });

  it('answers invalid_client, without a Basic challenge, when the body lacks credentials', () => {
    const error = refusal({});
    assert.equal(error.error, 'invalid_client');
    assert.equal(error.status, 401);
    assert.equal(error.headers['WWW-Authenticate'], undefined);
    assert.match(error.description, /client authentication is required/);
    assert.match(refusal({ client_id: 'a' }).description, /client_secret is missing/);
    assert.match(refusal({ client_secret: 'b' }).description, /client_id is missing/);
  });

  it('refuses malformed Basic headers, saying what is wrong', () => {
    const cases: [string, RegExp][] = [
      ['Bearer abc', /must use the Basic scheme, got 'Bearer'/],
      ['Basic', /not valid base64/],
      ['Basic !!!!', /not valid base64/],
      ['Basic YWJj', /no ':' between client_id and client_secret/],
      [`Basic ${Buffer.from([0xff, 0x3a, 0x61]).toString('base64')}`, /not valid UTF-8/],
      [`Basic ${Buffer.from(':b').toString('base64')}`, /client_id is empty/],
      [`Basic ${Buffer.from('a:').toString('base64')}`, /client_secret is empty/],
      [`Basic ${Buffer.from('a:%zz').toString('base64')}`, /invalid form-urlencoding/],
    ];
    for (const [header, description] of cases) {
      const error = refusal({}, header);
      assert.equal(error.error, 'invalid_client', header);
      assert.equal(error.status, 401, header);
      assert.match(error.headers['WWW-Authenticate'] ?? '', /^Basic realm="lean-auth"/, header);
      assert.match(error.description, description, header);
    }
  });
});
