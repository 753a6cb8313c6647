import type { Kysely } from 'kysely';
import type { StoreChange } from '../../domain/store.js';
import type { Database } from './schema.js';

/** What differs between the databases Kysely speaks to: each backend's file gives one. */
export interface DialectSpecifics {
  isUniqueViolation(error: unknown): boolean;
  /** Tells other processes about a change, inside the transaction that makes it. */
  announce(db: Kysely<Database>, change: StoreChange): Promise<void>;
  watch(listener: (change: StoreChange) => void): () => void;
  /** Runs the migrations so that two processes starting at once cannot both apply one. */
  withMigrationLock(migrate: () => Promise<void>): Promise<void>;
  /** The schema holding the tables, where the migration bookkeeping must be too (PostgreSQL). */
  readonly schema?: string | undefined;
  close(): Promise<void>;
}

/** What each domain's Kysely store works with: the database (or the transaction it runs in). */
export interface KyselyContext {
  readonly db: Kysely<Database>;
  readonly dialect: DialectSpecifics;
  /** Runs `work` in one transaction that also announces `change` to other processes. */
  write<T>(change: StoreChange, work: (tx: Kysely<Database>) => Promise<T>): Promise<T>;
}

/** Kysely cannot nest transactions: inside one, go on in it. */
export function inTransaction<T>(
  db: Kysely<Database>,
  work: (tx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction().execute(work);
}

export function kyselyContext(db: Kysely<Database>, dialect: DialectSpecifics): KyselyContext {
  return {
    db,
    dialect,
    write: (change, work) =>
      inTransaction(db, async (tx) => {
        const result = await work(tx);
        await dialect.announce(tx, change);
        return result;
      }),
  };
}
