import { existsSync } from 'node:fs';
import type { DatabaseSync } from 'node:sqlite';
import { loadNodeSqlite } from '../../src/store/node-sqlite.js';

/** A connection of the test's own to an existing SQLite file, beside (never through) the store. */
export function openRawSqlite(path: string, options: { readOnly?: boolean } = {}): DatabaseSync {
  // Opening a missing file would create it: a test looking at a file the store never wrote must fail.
  if (!existsSync(path)) throw new Error(`no SQLite file at ${path}`);
  return new (loadNodeSqlite().DatabaseSync)(path, { readOnly: options.readOnly ?? false });
}

/** The one value a PRAGMA answers with (journal_mode, integrity_check, …). */
export function pragmaValue(db: DatabaseSync, pragma: string): unknown {
  const row = db.prepare(`PRAGMA ${pragma}`).get();
  return row === undefined ? undefined : Object.values(row)[0];
}

/** Every row a PRAGMA answers with (foreign_key_check, …), as plain objects. */
export function pragmaRows(db: DatabaseSync, pragma: string): Record<string, unknown>[] {
  return db
    .prepare(`PRAGMA ${pragma}`)
    .all()
    .map((row) => ({ ...row }));
}
