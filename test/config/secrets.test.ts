import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { estimatedEntropyBits, MIN_ADMIN_TOKEN_BITS } from '../../src/config/secrets.js';

describe('estimatedEntropyBits', () => {
  it('scores repetition near nothing', () => {
    assert.equal(estimatedEntropyBits('a'.repeat(32)), 0);
    assert.ok(estimatedEntropyBits('ab'.repeat(16)) < 8);
    assert.ok(estimatedEntropyBits('Password1'.repeat(8)) < 40);
    assert.ok(estimatedEntropyBits('0123456789abcdef'.repeat(4)) <= 64);
  });

  it('gives generated tokens of 256 bits well over the production floor', () => {
    for (let i = 0; i < 200; i++) {
      for (const token of [
        randomBytes(32).toString('hex'),
        randomBytes(32).toString('base64'),
        randomBytes(32).toString('base64url'),
      ]) {
        assert.ok(estimatedEntropyBits(token) >= MIN_ADMIN_TOKEN_BITS + 32, token);
      }
    }
  });

  it('never counts more than log2(distinct characters) per character', () => {
    const token = randomBytes(32).toString('hex');
    assert.ok(estimatedEntropyBits(token) <= token.length * 4);
  });
});
