import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Raised when sealed data cannot be opened: the wrong key encryption key, or tampered data. */
export class KeyEncryptionError extends Error {
  override name = 'KeyEncryptionError';
}

/**
 * Seals `plaintext` with AES-256-GCM under `kek`. `context` (the key id) is authenticated too, so a
 * sealed private key cannot be moved to another row unnoticed.
 */
export function seal(plaintext: Buffer, kek: Buffer, context: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', kek, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64url')}`;
}

/** Opens what `seal` produced with the same key and context. */
export function unseal(sealed: string, kek: Buffer, context: string): Buffer {
  const [version, payload] = sealed.split('.');
  if (version !== VERSION || payload === undefined) {
    throw new KeyEncryptionError(`sealed data has an unknown format (expected ${VERSION})`);
  }
  const bytes = Buffer.from(payload, 'base64url');
  const iv = bytes.subarray(0, IV_BYTES);
  const tag = bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', kek, iv);
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch (error) {
    throw new KeyEncryptionError('the key encryption key does not open this data', { cause: error });
  }
}
