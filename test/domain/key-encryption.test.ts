import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { KeyEncryptionError, seal, unseal } from '../../src/domain/key-encryption.js';

function assertKeyEncryptionError(action: () => unknown): KeyEncryptionError {
  try {
    action();
  } catch (error) {
    assert.ok(error instanceof KeyEncryptionError, `expected KeyEncryptionError, got ${String(error)}`);
    assert.equal(error.name, 'KeyEncryptionError');
    return error;
  }
  assert.fail('unseal succeeded');
}

/** Flips one bit of the decoded payload at `index` and encodes it again. */
function tamper(sealed: string, index: number): string {
  const [version, payload] = sealed.split('.');
  const bytes = Buffer.from(payload ?? '', 'base64url');
  bytes[index] = (bytes[index] ?? 0) ^ 0x01;
  return `${version}.${bytes.toString('base64url')}`;
}

describe('seal / unseal', () => {
  const kek = randomBytes(32);
  const plaintext = randomBytes(1200);

  it('round-trips the plaintext under the same key and context', () => {
    const sealed = seal(plaintext, kek, 'kid-1');
    assert.deepEqual(unseal(sealed, kek, 'kid-1'), plaintext);
    assert.deepEqual(unseal(seal(Buffer.alloc(0), kek, ''), kek, ''), Buffer.alloc(0));
  });

  it('produces a versioned string that does not contain the plaintext', () => {
    const secret = Buffer.from('-----BEGIN PRIVATE KEY----- very secret material');
    const sealed = seal(secret, kek, 'kid-1');
    assert.match(sealed, /^v1\.[A-Za-z0-9_-]+$/);
    for (const encoding of ['utf8', 'base64', 'base64url', 'hex'] as const) {
      assert.ok(!sealed.includes(secret.toString(encoding)), `plaintext visible as ${encoding}`);
    }
    // iv (12) + tag (16) + ciphertext (same length as the plaintext, GCM is a stream mode)
    assert.equal(Buffer.from(sealed.slice(3), 'base64url').length, 12 + 16 + secret.length);
  });

  it('gives a different output each time (random IV)', () => {
    const a = seal(plaintext, kek, 'kid-1');
    const b = seal(plaintext, kek, 'kid-1');
    assert.notEqual(a, b);
    assert.notDeepEqual(
      Buffer.from(a.slice(3), 'base64url').subarray(0, 12),
      Buffer.from(b.slice(3), 'base64url').subarray(0, 12),
    );
    assert.deepEqual(unseal(a, kek, 'kid-1'), unseal(b, kek, 'kid-1'));
  });

  it('refuses the wrong key encryption key', () => {
    const sealed = seal(plaintext, kek, 'kid-1');
    const error = assertKeyEncryptionError(() => unseal(sealed, randomBytes(32), 'kid-1'));
    assert.match(error.message, /key encryption key/);
  });

  it('refuses tampered data: IV, tag or ciphertext', () => {
    const sealed = seal(plaintext, kek, 'kid-1');
    for (const index of [0, 11, 12, 27, 28, 28 + plaintext.length - 1]) {
      assertKeyEncryptionError(() => unseal(tamper(sealed, index), kek, 'kid-1'));
    }
  });

  it('refuses truncated data', () => {
    const sealed = seal(plaintext, kek, 'kid-1');
    assertKeyEncryptionError(() => unseal(sealed.slice(0, -10), kek, 'kid-1'));
    assertKeyEncryptionError(() => unseal('v1.', kek, 'kid-1'));
    assertKeyEncryptionError(() => unseal('v1.AAAA', kek, 'kid-1'));
  });

  it('refuses another context (the sealed key moved to another kid)', () => {
    const sealed = seal(plaintext, kek, 'kid-1');
    assertKeyEncryptionError(() => unseal(sealed, kek, 'kid-2'));
    assertKeyEncryptionError(() => unseal(sealed, kek, ''));
  });

  it('refuses an unknown version prefix or a missing one', () => {
    const sealed = seal(plaintext, kek, 'kid-1');
    const payload = sealed.slice('v1.'.length);
    for (const bad of [`v2.${payload}`, `V1.${payload}`, payload, '', 'v1']) {
      const error = assertKeyEncryptionError(() => unseal(bad, kek, 'kid-1'));
      assert.match(error.message, /unknown format/);
    }
  });
});
