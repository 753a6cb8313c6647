import { type Kysely, Migrator } from 'kysely';
import type { Store } from '../../domain/store.js';
import { migrationProvider } from '../migrations/index.js';
import { kyselyApplicationStore } from './application-store.js';
import { kyselyAuditStore } from './audit-store.js';
import { type DialectSpecifics, inTransaction, kyselyContext } from './context.js';
import { kyselyCustomerStore } from './customer-store.js';
import { kyselyDeletionStore } from './deletion-store.js';
import { KyselyOperatorStore } from './operator-store.js';
import { kyselyRevocationStore } from './revocation-store.js';
import { kyselySandboxSecretStore } from './sandbox-secret-store.js';
import type { Database } from './schema.js';
import { kyselySigningKeyStore } from './signing-key-store.js';

/**
 * The Store over any Kysely dialect: each domain's queries are written once (one file each), and
 * joined here with what spans them: migrations, health, change notices, transactions.
 */
export function kyselyStore(db: Kysely<Database>, dialect: DialectSpecifics): Store {
  const context = kyselyContext(db, dialect);
  const store: Store = {
    ...kyselyApplicationStore(context),
    ...kyselyCustomerStore(context),
    ...kyselySigningKeyStore(context),
    ...kyselyRevocationStore(context),
    ...kyselyAuditStore(context),
    ...kyselyDeletionStore(context),
    ...kyselySandboxSecretStore(context),
    operators: new KyselyOperatorStore(db, (error) => dialect.isUniqueViolation(error)),

    migrate: () => migrate(db, dialect),

    async ping() {
      await db.selectFrom('applications').select('client_id').limit(1).execute();
    },

    close: () => dialect.close(),

    watch: (listener) => dialect.watch(listener),

    transaction: (work) => inTransaction(db, (tx) => work(tx === db ? store : kyselyStore(tx, dialect))),
  };
  return store;
}

function migrate(db: Kysely<Database>, dialect: DialectSpecifics): Promise<void> {
  return dialect.withMigrationLock(async () => {
    const migrator = new Migrator({
      db,
      provider: migrationProvider,
      // Without it Kysely looks for its bookkeeping tables in every schema and may find another's
      // (then fails: relation "kysely_migration_lock" does not exist).
      ...(dialect.schema !== undefined && { migrationTableSchema: dialect.schema }),
    });
    const { error, results } = await migrator.migrateToLatest();
    if (error) {
      const failed = results?.find((r) => r.status === 'Error')?.migrationName;
      const what = failed === undefined ? 'migrating the database' : `database migration ${failed}`;
      throw new Error(`${what} failed: ${String(error)}`, { cause: error });
    }
  });
}
