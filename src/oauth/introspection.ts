import type { Client } from '../domain/client.js';
import type { AccessTokenClaims, Confirmation } from './access-token.js';
import { authenticateCaller } from './client-authentication.js';
import { readForm, requireParameter } from './form-body.js';
import type { OAuthContext, OAuthRequest } from './ports.js';
import { verifyAccessToken } from './verify-access-token.js';

/** RFC 7662 §2.2: what an inactive token is answered with, and nothing more. */
const INACTIVE = Object.freeze({ active: false as const });

export type IntrospectionResponse =
  | typeof INACTIVE
  | {
      readonly active: true;
      readonly scope: string;
      readonly client_id: string;
      readonly sub: string;
      readonly aud: string;
      readonly iss: string;
      readonly exp: number;
      readonly iat: number;
      readonly jti: string;
      readonly token_type: 'bearer' | 'DPoP';
      readonly customer_id?: string;
      readonly cnf?: Confirmation;
    };

/**
 * POST /oauth2/introspect (RFC 7662). The caller authenticates as an application; it may
 * introspect its own tokens, and a resource server any. Everything else is `{active: false}`:
 * expired, revoked, malformed, foreign, another application's, or one whose application or
 * customer has been disabled since.
 */
export async function handleIntrospection(
  request: OAuthRequest,
  context: OAuthContext,
): Promise<IntrospectionResponse> {
  const parameters = readForm(request);
  const caller = await authenticateCaller(request, parameters, context);
  const claims = await verifyAccessToken(requireParameter(parameters, 'token'), context);
  if (!claims || !(await isStillGood(claims, caller, context))) return INACTIVE;
  return {
    active: true,
    scope: claims.scope,
    client_id: claims.client_id,
    sub: claims.sub,
    aud: claims.aud,
    iss: claims.iss,
    exp: claims.exp,
    iat: claims.iat,
    jti: claims.jti,
    token_type: claims.cnf?.jkt === undefined ? 'bearer' : 'DPoP',
    ...(claims.customer_id !== undefined && { customer_id: claims.customer_id }),
    ...(claims.cnf !== undefined && { cnf: confirmationOf(claims.cnf) }),
  };
}

async function isStillGood(
  claims: AccessTokenClaims,
  caller: Client,
  context: OAuthContext,
): Promise<boolean> {
  if (claims.client_id !== caller.clientId && !caller.resourceServer) return false;
  const owner = await context.clients.find(claims.client_id);
  if (!owner?.active) return false;
  if (claims.customer_id !== undefined) {
    const customer = await context.customers.find(claims.customer_id);
    if (customer?.clientId !== claims.client_id || customer.status !== 'active') return false;
  }
  return !(await context.revocations.isRevoked(claims.jti));
}

/** The members of `cnf` we issue, and no others. */
function confirmationOf(cnf: Confirmation): Confirmation {
  return {
    ...(typeof cnf.jkt === 'string' && { jkt: cnf.jkt }),
    ...(typeof cnf['x5t#S256'] === 'string' && { 'x5t#S256': cnf['x5t#S256'] }),
  };
}
