import type { Applications } from './applications.js';
import type { Customers } from './customers.js';

export interface DemoCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly customerId: string;
}

/** On an empty sandbox store: one demo application with one demo customer, so a first token is one curl away. */
export async function createDemoIfEmpty(
  applications: Applications,
  customers: Customers,
): Promise<DemoCredentials | undefined> {
  if ((await applications.count()) > 0) return undefined;
  const { application, clientSecret } = await applications.create({ name: 'Demo application' }, 'system');
  const customer = await customers.create(application.clientId, 'demo-user', 'system');
  return { clientId: application.clientId, clientSecret, customerId: customer.customerId };
}
