import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/config.js';

export const SANDBOX_KEY_FILE = 'key-encryption.key';

/**
 * The key that seals signing keys at rest: KEY_ENCRYPTION_KEY, or in sandbox mode one generated
 * once into the data folder (production refuses to start without the variable, in config).
 */
export function resolveKeyEncryptionKey(config: Config, warn: (message: string) => void): Buffer {
  if (config.keyEncryptionKey) return config.keyEncryptionKey;
  if (config.env === 'production') throw new Error('KEY_ENCRYPTION_KEY is required in production');
  const file = join(config.dataDir, SANDBOX_KEY_FILE);
  warn(
    `KEY_ENCRYPTION_KEY is not set: signing keys are sealed with the sandbox key in ${file}. ` +
      'Set KEY_ENCRYPTION_KEY (32 bytes, hex or base64) for anything but a sandbox.',
  );
  mkdirSync(config.dataDir, { recursive: true });
  try {
    // 'wx': of two processes starting together, one writes and the other reads what it wrote.
    writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
  if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte hex key`);
  return key;
}
