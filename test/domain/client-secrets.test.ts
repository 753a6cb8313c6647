import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  digestSecret,
  generateClientSecret,
  MAX_LIVE_SECRETS,
  secretMatches,
} from '../../src/domain/client-secrets.js';

describe('generateClientSecret', () => {
  it('is 43 base64url characters carrying 256 random bits', () => {
    const secret = generateClientSecret();
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(secret, 'base64url').length, 32);
    assert.equal(Buffer.from(secret, 'base64url').toString('base64url'), secret);
  });

  it('is different every time', () => {
    const secrets = new Set(Array.from({ length: 1000 }, () => generateClientSecret()));
    assert.equal(secrets.size, 1000);
  });
});

describe('digestSecret', () => {
  it('is the SHA-256 of the UTF-8 secret, as 32 bytes', () => {
    const secret = generateClientSecret();
    const digest = digestSecret(secret);
    assert.equal(digest.length, 32);
    assert.deepEqual(digest, createHash('sha256').update(secret).digest());
    // A known vector, so that the algorithm cannot drift unnoticed.
    assert.equal(
      digestSecret('abc').toString('hex'),
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    assert.equal(
      digestSecret('é').toString('hex'),
      createHash('sha256').update(Buffer.from('é', 'utf8')).digest('hex'),
    );
  });
});

describe('secretMatches', () => {
  const current = generateClientSecret();
  const previous = generateClientSecret();
  const digests = [digestSecret(current), digestSecret(previous)];

  it('accepts either of two live secrets', () => {
    assert.equal(secretMatches(current, digests), true);
    assert.equal(secretMatches(previous, digests), true);
    assert.equal(secretMatches(current, [digestSecret(current)]), true);
  });

  it('refuses a wrong secret, a near miss and the empty string', () => {
    assert.equal(secretMatches(generateClientSecret(), digests), false);
    assert.equal(
      secretMatches(`${current.slice(0, -1)}${current.endsWith('A') ? 'B' : 'A'}`, digests),
      false,
    );
    assert.equal(secretMatches(`${current} `, digests), false);
    assert.equal(secretMatches('', digests), false);
  });

  it('refuses everything when there is no digest (an unknown client)', () => {
    assert.equal(secretMatches(current, []), false);
    assert.equal(secretMatches('', []), false);
  });

  it('compares against at most MAX_LIVE_SECRETS digests', () => {
    assert.equal(MAX_LIVE_SECRETS, 2);
  });
});
