import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import type { Store } from '../domain/store.js';
import { sandboxSecretPlace } from './key-encryption-key.js';
import { sandboxSecretFile } from './sandbox-secret-file.js';

const SANDBOX_ADMIN_TOKEN_FILE = 'admin-token';
/** The sandbox_secrets row of the sandbox admin token, on PostgreSQL. */
const SANDBOX_ADMIN_TOKEN_NAME = 'admin_token';

/**
 * The admin API's bearer token: ADMIN_TOKEN, or in sandbox mode one generated once (a file in the
 * SQLite database's folder, a row in the PostgreSQL database). `created` is true on the start that
 * generated it, which prints it once; `place` says where it is kept.
 */
export async function resolveAdminToken(
  config: Config,
  store: Store,
): Promise<{ token: string; created: boolean; place?: string }> {
  if (config.adminToken !== undefined) return { token: config.adminToken, created: false };
  if (config.env === 'production') throw new Error('ADMIN_TOKEN is required in production');
  const place = sandboxSecretPlace(config, SANDBOX_ADMIN_TOKEN_FILE);
  const { value, created } =
    config.database.kind === 'postgres'
      ? await store.sandboxSecret(SANDBOX_ADMIN_TOKEN_NAME, () => randomBytes(32).toString('hex'))
      : sandboxSecretFile(join(config.dataDir, SANDBOX_ADMIN_TOKEN_FILE));
  return { token: value, created, place };
}
