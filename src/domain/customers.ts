import { randomUUID } from 'node:crypto';
import type { CustomerRow, Status, Store } from '../store/store.js';
import { StoreConflictError } from '../store/store.js';
import type { Applications } from './applications.js';
import { isUuid, validPage } from './applications.js';
import type { ChangeFeed } from './change-feed.js';
import type { Clock } from './clock.js';
import { DomainError } from './domain-error.js';

/** Registering the end users (customers) of an application, for whom customer tokens are issued. */
export class Customers {
  constructor(
    private readonly store: Store,
    private readonly applications: Applications,
    private readonly clock: Clock,
    private readonly feed: ChangeFeed,
  ) {}

  async create(clientId: string, appUserId: string): Promise<CustomerRow> {
    await this.applications.get(clientId);
    const customer: CustomerRow = {
      customerId: randomUUID(),
      clientId,
      appUserId: validAppUserId(appUserId),
      status: 'active',
      createdAt: this.clock.now(),
    };
    try {
      await this.store.insertCustomer(customer);
    } catch (error) {
      if (error instanceof StoreConflictError) {
        throw new DomainError(
          'conflict',
          `application '${clientId}' already has a customer with app_user_id '${appUserId}'`,
        );
      }
      throw error;
    }
    this.feed.publish({ entity: 'customer', id: customer.customerId });
    return customer;
  }

  async get(customerId: string): Promise<CustomerRow> {
    const customer = isUuid(customerId) ? await this.store.findCustomer(customerId) : undefined;
    if (!customer) throw new DomainError('not_found', `no customer has customer_id '${customerId}'`);
    return customer;
  }

  async list(clientId: string, page: { limit?: number; after?: string } = {}): Promise<CustomerRow[]> {
    await this.applications.get(clientId);
    return this.store.listCustomers(clientId, validPage(page));
  }

  disable(customerId: string): Promise<CustomerRow> {
    return this.setStatus(customerId, 'disabled');
  }

  enable(customerId: string): Promise<CustomerRow> {
    return this.setStatus(customerId, 'active');
  }

  private async setStatus(customerId: string, status: Status): Promise<CustomerRow> {
    await this.get(customerId);
    const updated = await this.store.setCustomerStatus(customerId, status);
    if (!updated) throw new DomainError('not_found', `no customer has customer_id '${customerId}'`);
    this.feed.publish({ entity: 'customer', id: customerId });
    return updated;
  }
}

function validAppUserId(appUserId: string): string {
  if (appUserId.length < 1 || appUserId.length > 255 || appUserId.trim() !== appUserId) {
    throw new DomainError('invalid', 'app_user_id must be 1 to 255 characters with no surrounding spaces');
  }
  return appUserId;
}
