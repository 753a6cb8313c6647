import type { Client } from '../domain/client.js';
import { invalidScope } from './errors.js';
import type { OAuthContext } from './ports.js';
import { parseScope, type RequestedScope } from './scope.js';

/**
 * Decides the scope an authenticated client gets: the token class must be allowed for the
 * application, and a customer must be an active customer of this very application.
 */
export async function grantScope(
  client: Client,
  rawScope: string | undefined,
  context: Pick<OAuthContext, 'customers'>,
): Promise<RequestedScope> {
  const scope = parseScope(rawScope);
  if (!client.tokenClasses.has(scope.tokenClass)) {
    throw invalidScope(`this application may not request ${scope.tokenClass} tokens`);
  }
  if (scope.tokenClass === 'customer') {
    const customer = await context.customers.find(scope.customerId);
    // Another application's customer is answered exactly like an unknown one.
    if (customer === null || customer.clientId !== client.clientId) {
      throw invalidScope(`no customer '${scope.customerId}' belongs to this application`);
    }
    if (customer.status !== 'active') throw invalidScope(`customer '${scope.customerId}' is disabled`);
  }
  return scope;
}
