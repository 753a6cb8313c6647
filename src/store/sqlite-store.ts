import { closeSync, type FSWatcher, openSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
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
import { makePrivateDirectory } from './private-directory.js';
import type { Database } from './schema.js';
import type { Store } from './store.js';

const BUSY_TIMEOUT_MS = 5000;

/**
 * How often the server looks for writes made by another process (the CLI) when the file system
 * does not tell it (see watchExternalChanges).
 */
const CHANGE_POLL_MS = 250;
/** After the last file-system event of a write, when its commit is surely complete (ms). */
const SETTLE_MS = 20;

export interface SqliteStoreOptions {
  /** How often to look for other processes' writes regardless of file-system events (ms). */
  readonly changePollMs?: number;
}

/** Opens (creating if needed) the SQLite file at `path`: the zero-configuration default. */
export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Store {
  const sqlite = openDatabaseFile(path);
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

    // PRAGMA data_version changes exactly when another connection commits to the file. It is read
    // when the file system reports a change to the database's files (inotify, FSEvents: the CLI's
    // commit is seen before the CLI has printed its answer, so a client it just created is known
    // at once) and on a timer, for file systems that report nothing. Never on a request's path.
    watchExternalChanges(listener) {
      let seen = sqlite.pragma('data_version', { simple: true });
      const check = () => {
        if (!sqlite.open) return;
        const now = sqlite.pragma('data_version', { simple: true });
        if (now !== seen) {
          seen = now;
          listener({ entity: 'anything' });
        }
      };
      const timer = setInterval(check, options.changePollMs ?? CHANGE_POLL_MS);
      timer.unref();
      // The events come with the writer's writes to the -wal file, before its commit is complete
      // (fsync, then the shared-memory index): look at once, and again once the writes have stopped.
      let settled: NodeJS.Timeout | undefined;
      const files =
        path === ':memory:'
          ? undefined
          : watchDatabaseFiles(path, () => {
              check();
              clearTimeout(settled);
              settled = setTimeout(check, SETTLE_MS);
              settled.unref();
            });
      return () => {
        clearInterval(timer);
        clearTimeout(settled);
        files?.close();
      };
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
 * The database file, created 0600 in a 0700 folder where missing: it holds the client secrets'
 * digests and the sealed signing keys. SQLite gives its -wal and -shm files the database's mode.
 */
function openDatabaseFile(path: string): SqliteDatabase.Database {
  try {
    if (path !== ':memory:') {
      makePrivateDirectory(dirname(path));
      closeSync(openSync(path, 'a', 0o600));
    }
    // The CLI and the server share the file; a writer waits for the other instead of failing.
    return new SqliteDatabase(path, { timeout: BUSY_TIMEOUT_MS });
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

/**
 * Calls `onChange` when the database file or its -wal or -journal file changes, or undefined where
 * the file system cannot watch (the timer then is the only way). The directory is watched, as the
 * -wal file comes and goes.
 */
function watchDatabaseFiles(path: string, onChange: () => void): FSWatcher | undefined {
  const name = basename(path);
  try {
    const watcher = watch(dirname(path), { persistent: false }, (_event, file) => {
      if (file === null || file.startsWith(name)) onChange();
    });
    watcher.on('error', () => watcher.close());
    return watcher;
  } catch {
    return undefined;
  }
}
