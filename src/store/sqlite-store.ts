import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
} from 'kysely';
import { KyselyStore } from './kysely-store.js';
import type { Database } from './schema.js';
import type { Store } from './store.js';

const BUSY_TIMEOUT_MS = 5000;

/** How often the server looks for writes made by another process (the CLI). */
const CHANGE_POLL_MS = 250;

/** Opens (creating if needed) the SQLite file at `path`: the zero-configuration default. */
export function openSqliteStore(path: string): Store {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  // The CLI and the server share the file; a writer waits for the other instead of failing.
  const sqlite = new SqliteDatabase(path, { timeout: BUSY_TIMEOUT_MS });
  useWriteAheadLog(sqlite);
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');

  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: sqlite }) });
  return new KyselyStore(db, {
    isUniqueViolation: (error) =>
      typeof error === 'object' &&
      error !== null &&
      'code' in error &&
      (error.code === 'SQLITE_CONSTRAINT_UNIQUE' || error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY'),

    // One process per file at a time writes; other processes learn of it through data_version.
    announce: async () => {},

    // PRAGMA data_version changes exactly when another connection commits to the file; it costs no I/O.
    watchExternalChanges(listener) {
      let seen = sqlite.pragma('data_version', { simple: true });
      const timer = setInterval(() => {
        if (!sqlite.open) return;
        const now = sqlite.pragma('data_version', { simple: true });
        if (now !== seen) {
          seen = now;
          listener({ entity: 'anything' });
        }
      }, CHANGE_POLL_MS);
      timer.unref();
      return () => clearInterval(timer);
    },

    // Kysely's SQLite migrator takes no lock and no transaction; one IMMEDIATE transaction gives both:
    // a second process waits (busy_timeout), then finds the migrations applied.
    async withMigrationLock(migrate) {
      sqlite.exec('BEGIN IMMEDIATE');
      try {
        await migrate();
        sqlite.exec('COMMIT');
      } catch (error) {
        if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
        throw error;
      }
    },

    close: () => db.destroy(),
  });
}

/**
 * Transactions that take the write lock when they begin. A deferred transaction that reads and
 * then writes fails with SQLITE_BUSY when another process wrote in between; an immediate one
 * waits its turn (busy_timeout) instead.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly settings: SqliteDialectConfig) {
    super(settings);
  }

  override createDriver(): Driver {
    return new (class extends SqliteDriver {
      override async beginTransaction(connection: DatabaseConnection): Promise<void> {
        await connection.executeQuery(CompiledQuery.raw('begin immediate'));
      }
    })(this.settings);
  }
}

/**
 * Switching a fresh file to WAL needs a moment alone with it, and SQLite answers SQLITE_BUSY at once
 * (without waiting busy_timeout) when another process opens the same new file at that moment.
 */
function useWriteAheadLog(sqlite: SqliteDatabase.Database): void {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      sqlite.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10 + Math.random() * 20);
    }
  }
}
