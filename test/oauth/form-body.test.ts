import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OAuthError } from '../../src/oauth/errors.js';
import { parseFormBody } from '../../src/oauth/form-body.js';

const FORM = 'application/x-www-form-urlencoded';

function invalid(contentType: string | undefined, body: Buffer | string): string {
  try {
    parseFormBody(contentType, typeof body === 'string' ? Buffer.from(body) : body);
  } catch (error) {
    assert.ok(error instanceof OAuthError);
    assert.equal(error.error, 'invalid_request');
    return error.description;
  }
  assert.fail('the body was accepted');
}

describe('parseFormBody', () => {
  it('decodes percent-escapes and + as space', () => {
    const parameters = parseFormBody(FORM, Buffer.from('a=x%2By+z&b=%C3%A9'));
    assert.equal(parameters.get('a'), 'x+y z');
    assert.equal(parameters.get('b'), 'é');
  });

  it('treats an empty value as absent (RFC 6749 §3.1)', () => {
    const parameters = parseFormBody(FORM, Buffer.from('scope=&grant_type=client_credentials&flag'));
    assert.equal(parameters.has('scope'), false);
    assert.equal(parameters.has('flag'), false);
    assert.equal(parameters.get('grant_type'), 'client_credentials');
  });

  it('accepts a UTF-8 charset parameter in any case', () => {
    assert.equal(parseFormBody(`${FORM}; charset=UTF-8`, Buffer.from('a=1')).get('a'), '1');
    assert.equal(
      parseFormBody('Application/X-WWW-Form-Urlencoded;charset="utf-8"', Buffer.from('a=1')).get('a'),
      '1',
    );
  });

  it('refuses a parameter sent twice, naming it', () => {
    assert.match(invalid(FORM, 'scope=api&scope=api'), /parameter 'scope' is sent more than once/);
    // Even when one of the two is empty.
    assert.match(invalid(FORM, 'scope=&scope=api'), /'scope' is sent more than once/);
  });

  it('refuses other content types, naming the one sent', () => {
    assert.match(
      invalid('application/json', '{}'),
      /must be application\/x-www-form-urlencoded, got 'application\/json'/,
    );
    assert.match(invalid('multipart/form-data; boundary=x', 'x'), /got 'multipart\/form-data'/);
    assert.match(invalid(undefined, ''), /no Content-Type/);
  });

  it('refuses a charset other than UTF-8', () => {
    assert.match(invalid(`${FORM}; charset=iso-8859-1`, 'a=1'), /charset must be UTF-8/);
  });

  it('refuses bytes that are not UTF-8, raw or percent-encoded', () => {
    assert.match(invalid(FORM, Buffer.from([0x61, 0x3d, 0xff])), /not valid UTF-8/);
    assert.match(invalid(FORM, 'a=%FF'), /percent-encoded byte that is not UTF-8/);
    assert.match(invalid(FORM, 'a=%C0%AF'), /not UTF-8/); // overlong encoding of '/'
    assert.match(invalid(FORM, 'a=%zz'), /invalid percent-encoding/);
  });
});
