import type { AccessTokenClaims } from './claims.js';
import type { TokenPresentation } from './dpop-binding.js';
import { type AccessTokenVerifier, createAccessTokenVerifier } from './verifier.js';

export interface VerifyOptions {
  readonly issuer: string;
  readonly audience?: string;
  /** A scope the token must hold: `api` or `customer.<customer_id>`. */
  readonly scope?: string;
  /** The customer the token must act for. */
  readonly customerId?: string;
  /**
   * For a token sent as `Authorization: DPoP`: the request's DPoP header, method and URL. Without
   * it the token must have been sent as Bearer, and a DPoP-bound token is refused.
   */
  readonly dpop?: Omit<TokenPresentation, 'scheme'>;
}

/** One verifier (its discovery and JWKS) per issuer and audience, for the life of the process. */
const verifiers = new Map<string, AccessTokenVerifier>();

/**
 * Verifies one of the issuer's access tokens (RFC 9068) and resolves to its claims, or rejects with
 * a BearerTokenError: invalid_token, or insufficient_scope when it lacks `scope` or `customerId`.
 */
export function verifyAccessToken(token: string, options: VerifyOptions): Promise<AccessTokenClaims> {
  const key = JSON.stringify([options.issuer, options.audience ?? options.issuer]);
  let verifier = verifiers.get(key);
  if (verifier === undefined) {
    verifier = createAccessTokenVerifier({ issuer: options.issuer, audience: options.audience });
    verifiers.set(key, verifier);
  }
  const presented: TokenPresentation =
    options.dpop === undefined ? { scheme: 'Bearer' } : { scheme: 'DPoP', ...options.dpop };
  return verifier.verify(token, { scope: options.scope, customerId: options.customerId }, presented);
}
