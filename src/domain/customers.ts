import { randomUUID } from 'node:crypto';
import type { Applications } from './applications.js';
import type { AuditTrail } from './audit-trail.js';
import type { ChangeFeed } from './change-feed.js';
import type { Clock } from './clock.js';
import type { Customer } from './customer.js';
import { DomainError } from './domain-error.js';
import { validPage } from './page.js';
import { isPlainText } from './printable.js';
import type { Status } from './status.js';
import { type Store, StoreConflictError } from './store.js';
import { isUuid } from './uuid.js';
import { customerView } from './views.js';

/** Registering the end users (customers) of an application, for whom customer tokens are issued. */
export class Customers {
  constructor(
    private readonly store: Store,
    private readonly applications: Applications,
    private readonly clock: Clock,
    private readonly feed: ChangeFeed,
    private readonly audit: AuditTrail,
  ) {}

  async create(clientId: string, appUserId: string, actor: string): Promise<Customer> {
    await this.applications.get(clientId);
    const customer: Customer = {
      customerId: randomUUID(),
      clientId,
      appUserId: validAppUserId(appUserId),
      status: 'active',
      createdAt: this.clock.now(),
    };
    try {
      await this.store.transaction(async (tx) => {
        await tx.insertCustomer(customer);
        await this.audit.record(tx, {
          actor,
          action: 'customer.create',
          targetType: 'customer',
          targetId: customer.customerId,
          detail: { after: customerView(customer) },
        });
      });
    } catch (error) {
      if (error instanceof StoreConflictError) {
        throw new DomainError(
          'conflict',
          `application '${clientId}' already has a customer with app_user_id '${appUserId}'`,
        );
      }
      // Deleted since it was looked up: the foreign key refused the customer.
      await this.applications.get(clientId);
      throw error;
    }
    this.feed.publish({ entity: 'customer', id: customer.customerId });
    return customer;
  }

  async get(customerId: string): Promise<Customer> {
    const customer = isUuid(customerId) ? await this.store.findCustomer(customerId) : undefined;
    if (!customer) throw notFound(customerId);
    return customer;
  }

  async list(clientId: string, page: { limit?: number; after?: string } = {}): Promise<Customer[]> {
    await this.applications.get(clientId);
    return this.store.listCustomers(clientId, validPage(page));
  }

  disable(customerId: string, actor: string): Promise<Customer> {
    return this.setStatus(customerId, 'disabled', actor);
  }

  enable(customerId: string, actor: string): Promise<Customer> {
    return this.setStatus(customerId, 'active', actor);
  }

  private async setStatus(customerId: string, status: Status, actor: string): Promise<Customer> {
    if (!isUuid(customerId)) throw notFound(customerId);
    const updated = await this.store.transaction(async (tx) => {
      const before = await tx.findCustomer(customerId);
      const after = before && (await tx.setCustomerStatus(customerId, status));
      if (!before || !after) throw notFound(customerId);
      await this.audit.record(tx, {
        actor,
        action: status === 'active' ? 'customer.enable' : 'customer.disable',
        targetType: 'customer',
        targetId: customerId,
        detail: { before: customerView(before), after: customerView(after) },
      });
      return after;
    });
    this.feed.publish({ entity: 'customer', id: customerId });
    return updated;
  }
}

function notFound(customerId: string): DomainError {
  return new DomainError('not_found', `no customer has customer_id '${customerId.slice(0, 80)}'`);
}

function validAppUserId(appUserId: string): string {
  if (
    appUserId.length < 1 ||
    appUserId.length > 255 ||
    appUserId.trim() !== appUserId ||
    !isPlainText(appUserId)
  ) {
    throw new DomainError(
      'invalid',
      'app_user_id must be 1 to 255 characters with no surrounding spaces, no control characters and no lone surrogates',
    );
  }
  return appUserId;
}
