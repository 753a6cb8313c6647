import type { JWTPayload } from 'jose';

/** The claims of one of our access tokens (RFC 9068 §2.2, and `customer_id` on customer tokens). */
export interface AccessTokenClaims extends JWTPayload {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string | string[];
  readonly exp: number;
  readonly iat: number;
  readonly jti: string;
  readonly client_id: string;
  /** Space-separated: `api` or `customer.<customer_id>`. */
  readonly scope: string;
  readonly customer_id?: string;
}

/** What a resource demands of a token beyond its validity. */
export interface ScopeRequirement {
  /** A scope the token must hold: `api` or `customer.<customer_id>`. */
  readonly scope?: string;
  /** The customer the token must act for (the same as scope `customer.<customerId>`). */
  readonly customerId?: string;
}

/** The scope a requirement names, or undefined if it asks for none (customerId counts as one). */
export function requiredScope(requirement: ScopeRequirement): string | undefined {
  return (
    requirement.scope ??
    (requirement.customerId === undefined ? undefined : `customer.${requirement.customerId}`)
  );
}

/** Whether `claims` satisfy `requirement`: the scope is held and, for a customer, the customer matches. */
export function satisfies(claims: AccessTokenClaims, requirement: ScopeRequirement): boolean {
  const held = claims.scope.split(' ');
  if (requirement.scope !== undefined && !held.includes(requirement.scope)) return false;
  const customer =
    requirement.customerId ??
    (requirement.scope?.startsWith('customer.') ? requirement.scope.slice('customer.'.length) : undefined);
  if (customer === undefined) return true;
  return held.includes(`customer.${customer}`) && claims.customer_id === customer;
}
