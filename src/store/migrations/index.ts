import type { Migration, MigrationProvider } from 'kysely';
import { initial } from './0001-initial.js';
import { lifecycle } from './0002-lifecycle.js';
import { sandboxSecrets } from './0003-sandbox-secrets.js';
import { tombstones } from './0004-tombstones.js';
import { operators } from './0005-operators.js';
import { clientAuthentication } from './0006-client-authentication.js';
import { tlsClientAuth } from './0007-tls-client-auth.js';

/** Every migration, in order; the names are recorded in the database and must never change. */
const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-lifecycle': lifecycle,
  '0003-sandbox-secrets': sandboxSecrets,
  '0004-tombstones': tombstones,
  '0005-operators': operators,
  '0006-client-authentication': clientAuthentication,
  '0007-tls-client-auth': tlsClientAuth,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
