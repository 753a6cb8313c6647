import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashPassword, passwordMatches } from '../../../src/domain/operators/passwords.js';
import { base32, totpCode, totpMatches } from '../../../src/domain/operators/totp.js';

// RFC 6238 appendix B, SHA-1, cut to 6 digits (the last six of its 8-digit values).
const RFC_SECRET = Buffer.from('12345678901234567890');

describe('TOTP (RFC 6238)', () => {
  it('gives the RFC’s codes', () => {
    for (const [seconds, code] of [
      [59, '287082'],
      [1111111109, '081804'],
      [1234567890, '005924'],
      [20000000000, '353130'],
    ] as const) {
      assert.equal(totpCode(RFC_SECRET, Math.floor(seconds / 30)), code);
    }
  });

  it('accepts one step before and after, and nothing further or malformed', () => {
    const now = 1111111109_000;
    assert.ok(totpMatches(RFC_SECRET, '081804', now));
    assert.ok(totpMatches(RFC_SECRET, '081804', now + 30_000));
    assert.ok(totpMatches(RFC_SECRET, '081 804', now - 30_000));
    assert.ok(!totpMatches(RFC_SECRET, '081804', now + 90_000));
    assert.ok(!totpMatches(RFC_SECRET, '81804', now));
    assert.ok(!totpMatches(RFC_SECRET, 'abcdef', now));
  });

  it('writes base32 as authenticator apps read it', () => {
    assert.equal(base32(RFC_SECRET), 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
  });
});

describe('operator passwords (scrypt)', () => {
  it('matches the password it was made from, and no other', async () => {
    const stored = await hashPassword('a long enough password');
    assert.match(stored, /^scrypt\$32768\$8\$1\$/);
    assert.ok(await passwordMatches('a long enough password', stored));
    assert.ok(!(await passwordMatches('a long enough passworD', stored)));
    assert.notEqual(stored, await hashPassword('a long enough password'), 'a salt of its own');
    assert.ok(!(await passwordMatches('x', 'not a hash')));
  });
});
