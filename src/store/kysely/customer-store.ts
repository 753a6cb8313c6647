import type { Customer, CustomerStore } from '../../domain/customer.js';
import type { Status } from '../../domain/status.js';
import { StoreConflictError } from '../../domain/store.js';
import type { KyselyContext } from './context.js';
import type { Row } from './schema.js';
import { refuseDeletedId } from './tombstones.js';

/** Customers, over Kysely. */
export function kyselyCustomerStore({ db, dialect, write }: KyselyContext): CustomerStore {
  return {
    async insertCustomer(customer) {
      try {
        await write({ entity: 'customer', id: customer.customerId }, async (tx) => {
          await refuseDeletedId(tx, customer.customerId);
          await tx
            .insertInto('customers')
            .values({
              customer_id: customer.customerId,
              client_id: customer.clientId,
              app_user_id: customer.appUserId,
              status: customer.status,
              created_at: customer.createdAt,
            })
            .execute();
        });
      } catch (error) {
        if (error instanceof StoreConflictError) throw error;
        if (dialect.isUniqueViolation(error)) {
          throw new StoreConflictError(`app_user_id '${customer.appUserId}' already has a customer`, {
            cause: error,
          });
        }
        throw error;
      }
    },

    async findCustomer(customerId) {
      const row = await db
        .selectFrom('customers')
        .selectAll()
        .where('customer_id', '=', customerId)
        .executeTakeFirst();
      return row && customerFromDb(row);
    },

    async listCustomers(clientId, page) {
      let query = db
        .selectFrom('customers')
        .selectAll()
        .where('client_id', '=', clientId)
        .orderBy('customer_id')
        .limit(page.limit);
      if (page.after !== undefined) query = query.where('customer_id', '>', page.after);
      return (await query.execute()).map(customerFromDb);
    },

    async setCustomerStatus(customerId, status) {
      const row = await write({ entity: 'customer', id: customerId }, (tx) =>
        tx
          .updateTable('customers')
          .set({ status })
          .where('customer_id', '=', customerId)
          .returningAll()
          .executeTakeFirst(),
      );
      return row && customerFromDb(row);
    },
  };
}

export function customerFromDb(r: Row<'customers'>): Customer {
  return {
    customerId: r.customer_id,
    clientId: r.client_id,
    appUserId: r.app_user_id,
    status: r.status as Status,
    createdAt: Number(r.created_at),
  };
}
