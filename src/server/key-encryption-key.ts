import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import type { Store } from '../domain/store.js';
import { sandboxSecretFile } from './sandbox-secret-file.js';

const SANDBOX_KEY_FILE = 'key-encryption.key';
/** The sandbox_secrets row of the sandbox key, on PostgreSQL. */
const SANDBOX_KEY_NAME = 'key_encryption_key';

/**
 * Where a sandbox keeps the secrets it makes for itself: on SQLite a file in the database's folder,
 * on PostgreSQL a row in the database, where every instance finds it wherever it was started.
 */
export function sandboxSecretPlace(config: Config, fileName: string): string {
  return config.database.kind === 'postgres'
    ? 'the database (table sandbox_secrets)'
    : join(config.dataDir, fileName);
}

/**
 * The key that seals signing keys at rest, as a getter: KEY_ENCRYPTION_KEY, or in sandbox mode one
 * generated once (production refuses to start without the variable, in config). On SQLite the key
 * file is read, or made, only when a signing key is first sealed or opened.
 */
export async function keyEncryptionKeyOf(config: Config, store: Store): Promise<() => Buffer> {
  const configured = config.keyEncryptionKey;
  if (configured) return () => configured;
  if (config.env === 'production') throw new Error('KEY_ENCRYPTION_KEY is required in production');
  if (config.database.kind === 'postgres') {
    const { value } = await store.sandboxSecret(SANDBOX_KEY_NAME, () => randomBytes(32).toString('hex'));
    if (!/^[0-9a-f]{64}$/.test(value))
      throw new Error(`the sandbox key in ${sandboxKeyPlace(config)} is not 32 bytes of hex`);
    const key = Buffer.from(value, 'hex');
    return () => key;
  }
  let key: Buffer | undefined;
  return () => {
    key ??= Buffer.from(sandboxSecretFile(join(config.dataDir, SANDBOX_KEY_FILE)).value, 'hex');
    return key;
  };
}

/** Where the sandbox key encryption key is kept. */
function sandboxKeyPlace(config: Config): string {
  return sandboxSecretPlace(config, SANDBOX_KEY_FILE);
}

/** The warning a start logs once (the serving process, not each worker nor CLI command) in a sandbox without KEY_ENCRYPTION_KEY. */
export function sandboxKeyWarning(config: Config): string | undefined {
  if (config.keyEncryptionKey || config.env !== 'sandbox') return undefined;
  return (
    `KEY_ENCRYPTION_KEY is not set: signing keys are sealed with the sandbox key in ${sandboxKeyPlace(config)}. ` +
    'Set KEY_ENCRYPTION_KEY (32 bytes, hex or base64) for anything but a sandbox.'
  );
}
