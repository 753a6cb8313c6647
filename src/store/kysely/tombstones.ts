import type { Kysely } from 'kysely';
import { StoreConflictError } from '../../domain/store.js';
import type { Database } from './schema.js';

/** The ids of deleted applications and customers: never given out again. */

export async function isTombstoned(db: Kysely<Database>, id: string): Promise<boolean> {
  const row = await db.selectFrom('tombstones').select('id').where('id', '=', id).executeTakeFirst();
  return row !== undefined;
}

/** A deleted id is never given out again (ids are random: this holds against any other writer). */
export async function refuseDeletedId(tx: Kysely<Database>, id: string): Promise<void> {
  if (await isTombstoned(tx, id))
    throw new StoreConflictError(`the id '${id}' belonged to something deleted`);
}
