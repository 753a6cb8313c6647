import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { Store } from '../../../src/domain/store.js';
import { KyselyNodeSqlite, loadNodeSqlite } from '../../../src/store/node-sqlite.js';
import { openPostgresStore, postgresConnection } from '../../../src/store/postgres-store.js';
import { openSqliteStore } from '../../../src/store/sqlite-store.js';
import { skipWithoutPostgres } from '../../helpers/postgres.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres-database.js';
import { openRawSqlite, pragmaValue } from '../../helpers/raw-sqlite.js';
import { tempDir } from '../../helpers/test-server.js';
import type { Schema0001 } from './fixtures.js';

/**
 * A new, empty database for the migration test: `db` speaks to it directly (the contract runs
 * migration 0001 through it, writes rows and destroys it), `openStore` opens the Store over the
 * same database without migrating it, and `cleanup` removes the database.
 */
export interface EmptyDatabase {
  readonly db: Kysely<Schema0001>;
  openStore(): Promise<Store>;
  cleanup(): Promise<void>;
}

/** One database the Store runs on, as the contract suites open it. */
interface Backend {
  readonly name: string;
  /** node:test's skip: a reason when the database is not there (never in CI: that fails instead). */
  readonly skip: string | false;
  /** Hooks of the suite: a backend may need a server-side database for the file. */
  setUp(): void;
  /** A fresh, migrated store, and what removes it. */
  openStore(): Promise<{ store: Store; cleanup: () => Promise<void> }>;
  openEmptyDatabase(): Promise<EmptyDatabase>;
}

const sqlite: Backend = {
  name: 'SQLite',
  skip: false,
  setUp() {},
  async openStore() {
    const temp = tempDir();
    const path = join(temp.dir, 'nested', 'contract.db');
    const store = openSqliteStore(path);
    await store.migrate();
    return {
      store,
      async cleanup() {
        try {
          await store.close();
          // Every contract test's writes leave a sound file behind.
          assert.equal(integrityCheck(path), 'ok');
        } finally {
          temp.remove();
        }
      },
    };
  },
  async openEmptyDatabase() {
    const temp = tempDir();
    const path = join(temp.dir, 'from-0001.db');
    const db = new Kysely<Schema0001>({
      dialect: new SqliteDialect({
        database: new KyselyNodeSqlite(new (loadNodeSqlite().DatabaseSync)(path)),
      }),
    });
    return {
      db,
      openStore: async () => openSqliteStore(path),
      async cleanup() {
        try {
          assert.equal(integrityCheck(path), 'ok');
        } finally {
          temp.remove();
        }
      },
    };
  },
};

/** PRAGMA integrity_check through a connection of our own, after the store closed the file. */
function integrityCheck(path: string): string {
  const db = openRawSqlite(path, { readOnly: true });
  try {
    return pragmaValue(db, 'integrity_check') as string;
  } finally {
    db.close();
  }
}

// A database of its own for each test file: no schema of another file or run is in it while it
// migrates its schemas (Kysely's migrator looks in every schema; see postgres-store.test.ts).
let database: TestDatabase;
const postgres: Backend = {
  name: 'PostgreSQL',
  skip: await skipWithoutPostgres(),
  setUp() {
    before(async () => {
      database = await createTestDatabase();
    });
    after(() => database.drop());
  },
  async openStore() {
    const schema = database.freshSchema();
    const store = await openPostgresStore(schema.url);
    await store.migrate();
    return {
      store,
      cleanup: async () => {
        await store.close();
        await schema.drop();
      },
    };
  },
  async openEmptyDatabase() {
    const schema = database.freshSchema();
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      await admin.query(`create schema ${schema.schema}`);
    } finally {
      await admin.end();
    }
    const { config } = postgresConnection(schema.url);
    const db = new Kysely<Schema0001>({ dialect: new PostgresDialect({ pool: new pg.Pool(config) }) });
    return { db, openStore: () => openPostgresStore(schema.url), cleanup: () => schema.drop() };
  },
};

/** Every backend the Store has: each contract suite runs over all of them. */
const BACKENDS: readonly Backend[] = [sqlite, postgres];

/** What a contract suite's tests get from the backend they run on. */
export interface ContractContext {
  /** Runs `test` on a fresh, migrated store, removed afterwards. */
  withStore(test: (store: Store) => Promise<void>): Promise<void>;
  openEmptyDatabase(): Promise<EmptyDatabase>;
}

/** Declares the suite `title` once for every backend (as kysely's tests loop over their dialects). */
export function storeContract(title: string, suite: (context: ContractContext) => void): void {
  for (const backend of BACKENDS) {
    describe(`Store contract, ${title}: ${backend.name}`, { skip: backend.skip }, () => {
      if (backend.skip) return;
      backend.setUp();
      suite({
        async withStore(test) {
          const { store, cleanup } = await backend.openStore();
          try {
            await test(store);
          } finally {
            await cleanup();
          }
        },
        openEmptyDatabase: () => backend.openEmptyDatabase(),
      });
    });
  }
}
