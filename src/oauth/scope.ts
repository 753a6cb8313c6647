import type { Client } from '../domain/client.js';
import type { Customer } from '../domain/customer.js';
import { andThen, type Eventually } from '../domain/eventually.js';
import { isUuid } from '../domain/uuid.js';
import { invalidScope } from './errors.js';
import type { OAuthContext } from './ports.js';

/** What a token request asks for: a server-to-server token, or a token for one customer. */
export type RequestedScope =
  | { readonly tokenClass: 'api' }
  | { readonly tokenClass: 'customer'; readonly customerId: string };

const CUSTOMER_PREFIX = 'customer.';
const HOW = "use 'api' or 'customer.<customer_id>'";

/**
 * Decides the scope an authenticated client gets: the token class must be allowed for the
 * application, and a customer must be an active customer of this very application.
 */
export function grantScope(
  client: Client,
  rawScope: string | undefined,
  context: Pick<OAuthContext, 'customers'>,
): Eventually<RequestedScope> {
  const scope = parseScope(rawScope);
  if (!client.tokenClasses.has(scope.tokenClass)) {
    throw invalidScope(`this application may not request ${scope.tokenClass} tokens`);
  }
  if (scope.tokenClass === 'api') return scope;
  return andThen(context.customers.find(scope.customerId), (customer) => {
    requireOwnActiveCustomer(customer, client, scope.customerId);
    return scope;
  });
}

function requireOwnActiveCustomer(customer: Customer | null, client: Client, customerId: string): void {
  // Another application's customer is answered exactly like an unknown one.
  if (customer === null || customer.clientId !== client.clientId) {
    throw invalidScope(`no customer '${customerId}' belongs to this application`);
  }
  if (customer.status !== 'active') throw invalidScope(`customer '${customerId}' is disabled`);
}

/** Reads the `scope` parameter: exactly one of `api` or `customer.<uuid>`. */
export function parseScope(raw: string | undefined): RequestedScope {
  if (raw === undefined) throw invalidScope(`scope is required: ${HOW}`);
  if (/\s/.test(raw)) throw invalidScope(`request one scope at a time: ${HOW}`);
  if (raw === 'api') return { tokenClass: 'api' };
  if (raw.startsWith(CUSTOMER_PREFIX)) {
    const customerId = raw.slice(CUSTOMER_PREFIX.length);
    if (customerId === '')
      throw invalidScope('the customer scope needs a customer_id: customer.<customer_id>');
    // Upper case is the same UUID (RFC 4122 §3): taken, and written as issued.
    const lowerCase = customerId.toLowerCase();
    if (!isUuid(lowerCase)) {
      throw invalidScope(`'${customerId.slice(0, 64)}' is not a customer_id: customer ids are UUIDs`);
    }
    return { tokenClass: 'customer', customerId: lowerCase };
  }
  throw invalidScope(`unknown scope '${raw.slice(0, 64)}': ${HOW}`);
}

/** The scope string a granted scope is written as in the token and the response. */
export function formatScope(scope: RequestedScope): string {
  return scope.tokenClass === 'api' ? 'api' : `${CUSTOMER_PREFIX}${scope.customerId}`;
}
