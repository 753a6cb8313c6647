import type { JsonWebKey } from 'node:crypto';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import { SIGNING_ALGORITHMS } from '../domain/signing-algorithms.js';
import type { AccessTokenClaims } from './access-token.js';
import type { OAuthContext } from './ports.js';

/** One key set per JWKS document: the ring hands out the same object until its keys change. */
const keySets = new WeakMap<object, ReturnType<typeof createLocalJWKSet>>();

/**
 * The claims of an access token this server issued and that is still within its lifetime: signed
 * by a published key, our issuer, `typ: at+jwt`. Anything else (malformed, foreign, expired,
 * forged) is null; the callers answer all of those alike.
 */
export async function verifyAccessToken(
  token: string,
  context: Pick<OAuthContext, 'keys' | 'issuer' | 'clock'>,
): Promise<AccessTokenClaims | null> {
  const jwks = context.keys.jwks();
  let keySet = keySets.get(jwks);
  if (!keySet) {
    keySet = createLocalJWKSet(jwks as { keys: JsonWebKey[] } as JSONWebKeySet);
    keySets.set(jwks, keySet);
  }
  try {
    const { payload } = await jwtVerify(token, keySet, {
      issuer: context.issuer,
      typ: 'at+jwt',
      algorithms: [...SIGNING_ALGORITHMS],
      currentDate: new Date(context.clock.now()),
      requiredClaims: ['sub', 'aud', 'iat', 'exp', 'jti', 'client_id', 'scope'],
    });
    const claims = payload as unknown as AccessTokenClaims;
    if (
      typeof claims.jti !== 'string' ||
      typeof claims.client_id !== 'string' ||
      typeof claims.scope !== 'string'
    ) {
      return null;
    }
    return claims;
  } catch {
    return null;
  }
}
