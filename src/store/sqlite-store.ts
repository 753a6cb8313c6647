import { closeSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
} from 'kysely';
import type { Store } from '../domain/store.js';
import { kyselyStore } from './kysely/kysely-store.js';
import type { Database } from './kysely/schema.js';
import { KyselyNodeSqlite, loadNodeSqlite } from './node-sqlite.js';
import { makePrivateDirectory } from './private-directory.js';
import { watchOtherWriters } from './sqlite-change-watch.js';

const BUSY_TIMEOUT_MS = 5000;
/** SQLite's (extended) result codes, as node:sqlite reports them in `errcode`. */
const SQLITE_BUSY = 5;
const SQLITE_CONSTRAINT_PRIMARYKEY = 1555;
const SQLITE_CONSTRAINT_UNIQUE = 2067;

export interface SqliteStoreOptions {
  /** How often to look for other processes' writes regardless of file-system events (ms). */
  readonly changePollMs?: number;
}

/** Opens (creating if needed) the SQLite file at `path`: the zero-configuration default. */
export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Store {
  const sqlite = openDatabaseFile(path);
  useWriteAheadLog(sqlite);
  sqlite.exec('PRAGMA synchronous = FULL');
  sqlite.exec('PRAGMA foreign_keys = ON');

  const db = new Kysely<Database>({
    dialect: new ImmediateSqliteDialect({ database: new KyselyNodeSqlite(sqlite) }),
  });
  return kyselyStore(db, {
    isUniqueViolation: (error) => {
      const code = resultCode(error);
      return code === SQLITE_CONSTRAINT_UNIQUE || code === SQLITE_CONSTRAINT_PRIMARYKEY;
    },

    // One process per file at a time writes; other processes learn of it through data_version.
    announce: async () => {},

    watch: (listener) => watchOtherWriters(sqlite, path, listener, options.changePollMs),

    // Kysely's SQLite migrator takes no lock and no transaction; one IMMEDIATE transaction gives both:
    // a second process waits (busy_timeout), then finds the migrations applied.
    async withMigrationLock(migrate) {
      sqlite.exec('BEGIN IMMEDIATE');
      try {
        await migrate();
        sqlite.exec('COMMIT');
      } catch (error) {
        if (sqlite.isTransaction) sqlite.exec('ROLLBACK');
        throw error;
      }
    },

    close: () => db.destroy(),
  });
}

/**
 * The database file, created 0600 in a 0700 folder where missing: it holds the client secrets'
 * digests and the sealed signing keys. SQLite gives its -wal and -shm files the database's mode.
 */
function openDatabaseFile(path: string): DatabaseSync {
  try {
    if (path !== ':memory:') {
      makePrivateDirectory(dirname(path));
      closeSync(openSync(path, 'a', 0o600));
    }
    // The CLI and the server share the file; a writer waits for the other instead of failing.
    return new (loadNodeSqlite().DatabaseSync)(path, { timeout: BUSY_TIMEOUT_MS });
  } catch (error) {
    throw new Error(`cannot open the SQLite database ${path} (DATABASE_URL): ${(error as Error).message}`, {
      cause: error,
    });
  }
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
function useWriteAheadLog(sqlite: DatabaseSync): void {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      sqlite.exec('PRAGMA journal_mode = WAL');
      return;
    } catch (error) {
      // The primary code: SQLITE_BUSY_RECOVERY and SQLITE_BUSY_SNAPSHOT are busy too.
      if (((resultCode(error) ?? 0) & 0xff) !== SQLITE_BUSY || Date.now() > deadline) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10 + Math.random() * 20);
    }
  }
}

/** The SQLite result code of an error node:sqlite threw, if it is one. */
function resultCode(error: unknown): number | undefined {
  const code = (error as { errcode?: unknown } | null)?.errcode;
  return typeof code === 'number' ? code : undefined;
}
