import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { KyselyStore } from './kysely-store.js';
import type { Database } from './schema.js';
import type { Store } from './store.js';

/** How often the server looks for writes made by another process (the CLI). */
const CHANGE_POLL_MS = 250;

/** Opens (creating if needed) the SQLite file at `path`: the zero-configuration default. */
export function openSqliteStore(path: string): Store {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SqliteDatabase(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  // The CLI and the server share the file; a writer waits for the other instead of failing.
  sqlite.pragma('busy_timeout = 5000');

  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
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

    close: () => db.destroy(),
  });
}
