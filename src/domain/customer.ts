import type { Page } from './page.js';
import type { Status } from './status.js';

/** An end user of one application, for whom it asks customer tokens. */
export interface Customer {
  readonly customerId: string;
  readonly clientId: string;
  /** The application's own id for its end user, unique within the application. */
  readonly appUserId: string;
  readonly status: Status;
  readonly createdAt: number;
}

/** Where customers are kept. */
export interface CustomerStore {
  /**
   * Throws StoreConflictError when the application already has a customer with this app_user_id,
   * or for an id that was deleted.
   */
  insertCustomer(customer: Customer): Promise<void>;
  findCustomer(customerId: string): Promise<Customer | undefined>;
  listCustomers(clientId: string, page: Page): Promise<Customer[]>;
  setCustomerStatus(customerId: string, status: Customer['status']): Promise<Customer | undefined>;
}
