import { join } from 'node:path';
import type { Config } from '../config/config.js';
import { sandboxSecretFile } from './sandbox-secret-file.js';

export const SANDBOX_ADMIN_TOKEN_FILE = 'admin-token';

/**
 * The admin API's bearer token: ADMIN_TOKEN, or in sandbox mode one generated once into the data
 * folder. `created` is true on the start that generated it, which prints it once.
 */
export function resolveAdminToken(config: Config): { token: string; created: boolean; file?: string } {
  if (config.adminToken !== undefined) return { token: config.adminToken, created: false };
  if (config.env === 'production') throw new Error('ADMIN_TOKEN is required in production');
  const file = join(config.dataDir, SANDBOX_ADMIN_TOKEN_FILE);
  const { value, created } = sandboxSecretFile(file);
  return { token: value, created, file };
}
