import { randomUUID } from 'node:crypto';
import type { Client } from '../domain/client.js';
import type { OAuthContext } from './ports.js';
import { formatScope, type RequestedScope } from './scope.js';

/** The RFC 6749 §5.1 success body. */
export interface TokenResponse {
  readonly access_token: string;
  /** `DPoP` for a token bound to the key of a DPoP proof (RFC 9449 §5). */
  readonly token_type: 'bearer' | 'DPoP';
  readonly expires_in: number;
  readonly scope: string;
}

/** The claims of an RFC 9068 JWT access token. */
export interface AccessTokenClaims {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string;
  readonly iat: number;
  readonly exp: number;
  readonly jti: string;
  readonly client_id: string;
  readonly scope: string;
  readonly customer_id?: string;
  readonly cnf?: Confirmation;
}

/** What a token is bound to (RFC 7800 `cnf`). */
export interface Confirmation {
  /** RFC 9449 §6: the thumbprint of the DPoP key. */
  readonly jkt?: string;
  /** RFC 8705 §3.1: the SHA-256 thumbprint of the client certificate. */
  readonly 'x5t#S256'?: string;
}

/** Signs an access token for the granted scope with the active key. */
export function issueAccessToken(
  client: Client,
  scope: RequestedScope,
  context: Pick<OAuthContext, 'keys' | 'clock' | 'issuer' | 'audience'>,
  /** The DPoP key and client certificate the token is bound to, if any. */
  cnf?: Confirmation,
): TokenResponse {
  const iat = Math.floor(context.clock.now() / 1000);
  const lifetime = client.lifetimes[scope.tokenClass];
  const scopeText = formatScope(scope);
  // Built member by member rather than with spreads: one object of a fixed shape for the common
  // token, which JSON.stringify then walks on its fast path.
  const claims: { -readonly [K in keyof AccessTokenClaims]: AccessTokenClaims[K] } = {
    iss: context.issuer,
    sub: client.clientId,
    aud: context.audience,
    iat,
    exp: iat + lifetime,
    jti: randomUUID(),
    client_id: client.clientId,
    scope: scopeText,
  };
  if (scope.tokenClass === 'customer') claims.customer_id = scope.customerId;
  if (cnf !== undefined) claims.cnf = cnf;
  return {
    access_token: context.keys.activeSigner().sign(claims),
    token_type: cnf?.jkt === undefined ? 'bearer' : 'DPoP',
    expires_in: lifetime,
    scope: scopeText,
  };
}
