import { type Kysely, sql } from 'kysely';
import { customerFromDb } from './row-mapping.js';
import type { Database } from './schema.js';
import { type CustomerRow, ERASED_DETAIL, StoreConflictError } from './store.js';

/**
 * Deleting applications and customers for good, each function run inside the caller's
 * transaction. Only ids stay: in `tombstones`, and as the targets of audit events whose detail is
 * erased (an application's name, a customer's app_user_id live on in a create or update event).
 */

const ERASED = JSON.stringify(ERASED_DETAIL);

export async function deleteApplicationRows(
  tx: Kysely<Database>,
  clientId: string,
  deletedAt: number,
): Promise<{ customers: number } | undefined> {
  const found = await tx
    .selectFrom('applications')
    .select('client_id')
    .where('client_id', '=', clientId)
    .executeTakeFirst();
  if (!found) return undefined;
  const ofApplication = tx.selectFrom('customers').where('client_id', '=', clientId);
  await tx
    .updateTable('audit_events')
    .set({ detail: ERASED })
    .where('target_id', 'in', ofApplication.select('customer_id'))
    .execute();
  await tx.updateTable('audit_events').set({ detail: ERASED }).where('target_id', '=', clientId).execute();
  const tombstones = await tx
    .insertInto('tombstones')
    .columns(['id', 'kind', 'deleted_at'])
    .expression(
      // Literals, not parameters: PostgreSQL cannot tell the type of a parameter in this select.
      ofApplication.select([
        'customer_id',
        sql.lit('customer').as('kind'),
        sql.lit(Math.trunc(deletedAt)).as('deleted_at'),
      ]),
    )
    .executeTakeFirst();
  await tx
    .insertInto('tombstones')
    .values({ id: clientId, kind: 'application', deleted_at: deletedAt })
    .execute();
  // Each table by name rather than by the schema's cascade, so that what goes is plain to see here.
  await tx.deleteFrom('client_secrets').where('client_id', '=', clientId).execute();
  await tx.deleteFrom('customers').where('client_id', '=', clientId).execute();
  await tx.deleteFrom('applications').where('client_id', '=', clientId).execute();
  return { customers: Number(tombstones.numInsertedOrUpdatedRows ?? 0) };
}

export async function deleteCustomerRow(
  tx: Kysely<Database>,
  customerId: string,
  deletedAt: number,
): Promise<CustomerRow | undefined> {
  const row = await tx
    .deleteFrom('customers')
    .where('customer_id', '=', customerId)
    .returningAll()
    .executeTakeFirst();
  if (!row) return undefined;
  await tx.updateTable('audit_events').set({ detail: ERASED }).where('target_id', '=', customerId).execute();
  await tx
    .insertInto('tombstones')
    .values({ id: customerId, kind: 'customer', deleted_at: deletedAt })
    .execute();
  return customerFromDb(row);
}

export async function isTombstoned(db: Kysely<Database>, id: string): Promise<boolean> {
  const row = await db.selectFrom('tombstones').select('id').where('id', '=', id).executeTakeFirst();
  return row !== undefined;
}

/** A deleted id is never given out again (ids are random: this holds against any other writer). */
export async function refuseDeletedId(tx: Kysely<Database>, id: string): Promise<void> {
  if (await isTombstoned(tx, id))
    throw new StoreConflictError(`the id '${id}' belonged to something deleted`);
}
