import { join } from 'node:path';
import type { Config } from '../config/config.js';
import { sandboxSecretFile } from './sandbox-secret-file.js';

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
  return Buffer.from(sandboxSecretFile(file).value, 'hex');
}
