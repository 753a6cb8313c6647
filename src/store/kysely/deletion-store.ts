import { type Kysely, sql } from 'kysely';
import { ERASED_DETAIL } from '../../domain/audit-event.js';
import type { Customer } from '../../domain/customer.js';
import type { DeletionStore } from '../../domain/store.js';
import type { KyselyContext } from './context.js';
import { customerFromDb } from './customer-store.js';
import type { Database } from './schema.js';
import { isTombstoned } from './tombstones.js';

/** Deleting applications and customers for good, over Kysely. */
export function kyselyDeletionStore({ db, write }: KyselyContext): DeletionStore {
  return {
    deleteApplication: (clientId, deletedAt) =>
      write({ entity: 'application', id: clientId }, (tx) => deleteApplicationRows(tx, clientId, deletedAt)),
    deleteCustomer: (customerId, deletedAt) =>
      write({ entity: 'customer', id: customerId }, (tx) => deleteCustomerRow(tx, customerId, deletedAt)),
    wasDeleted: (id) => isTombstoned(db, id),
  };
}

/**
 * Each function below runs inside the caller's transaction. Only ids stay: in `tombstones`, and as
 * the targets of audit events whose detail is erased (an application's name, a customer's
 * app_user_id live on in a create or update event).
 */

const ERASED = JSON.stringify(ERASED_DETAIL);

async function deleteApplicationRows(
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

async function deleteCustomerRow(
  tx: Kysely<Database>,
  customerId: string,
  deletedAt: number,
): Promise<Customer | undefined> {
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
