import type { AuditTrail } from './audit-trail.js';
import type { ChangeFeed } from './change-feed.js';
import type { Clock } from './clock.js';
import { DomainError } from './domain-error.js';
import type { Store } from './store.js';
import { isUuid } from './uuid.js';

export interface DeletedApplication {
  readonly clientId: string;
  /** How many of its customers were deleted with it. */
  readonly customersDeleted: number;
}

export interface DeletedCustomer {
  readonly customerId: string;
  readonly clientId: string;
}

/**
 * Deleting applications (with their customers) and customers for good, on an operator's word:
 * an end user's data on request, an integration that ended. Each deletion is one transaction; the
 * audit log keeps that it happened, by whom, and the ids, never the deleted data; the caches of
 * every instance drop the ids at the change notice, so the tokens already issued stop introspecting
 * as active; and the ids are never given out again (the store keeps a tombstone of each).
 */
export class Deletions {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly feed: ChangeFeed,
    private readonly audit: AuditTrail,
  ) {}

  async deleteApplication(clientId: string, actor: string): Promise<DeletedApplication> {
    const deleted =
      isUuid(clientId) &&
      (await this.store.transaction(async (tx) => {
        const result = await tx.deleteApplication(clientId, this.clock.now());
        if (result === undefined) return undefined;
        await this.audit.record(tx, {
          actor,
          action: 'application.delete',
          targetType: 'application',
          targetId: clientId,
          detail: { customers_deleted: result.customers },
        });
        return result;
      }));
    if (!deleted) throw await this.notFound('application', 'client_id', clientId);
    this.feed.publish({ entity: 'application', id: clientId });
    return { clientId, customersDeleted: deleted.customers };
  }

  async deleteCustomer(customerId: string, actor: string): Promise<DeletedCustomer> {
    const deleted =
      isUuid(customerId) &&
      (await this.store.transaction(async (tx) => {
        const customer = await tx.deleteCustomer(customerId, this.clock.now());
        if (customer === undefined) return undefined;
        await this.audit.record(tx, {
          actor,
          action: 'customer.delete',
          targetType: 'customer',
          targetId: customerId,
          detail: { client_id: customer.clientId },
        });
        return customer;
      }));
    if (!deleted) throw await this.notFound('customer', 'customer_id', customerId);
    this.feed.publish({ entity: 'customer', id: customerId });
    return { customerId, clientId: deleted.clientId };
  }

  /** Not found, and whether it once was: deleting twice is an operator's retry, worth telling apart. */
  private async notFound(what: string, idName: string, id: string): Promise<DomainError> {
    const gone = isUuid(id) && (await this.store.wasDeleted(id));
    return new DomainError(
      'not_found',
      `no ${what} has ${idName} '${id.slice(0, 80)}'${gone ? ': it was deleted' : ''}`,
    );
  }
}
