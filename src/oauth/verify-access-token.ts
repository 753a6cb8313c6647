import type { JsonWebKey } from 'node:crypto';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import { MAX_TOKEN_LIFETIME } from '../config/limits.js';
import { SIGNING_ALGORITHMS } from '../config/signing-algorithms.js';
import type { AccessTokenClaims } from './access-token.js';
import type { OAuthContext } from './ports.js';

/** One key set per JWKS document: the ring hands out the same object until its keys change. */
const keySets = new WeakMap<object, ReturnType<typeof createLocalJWKSet>>();

/** How far in the future an `iat` may lie: another instance's clock may run a little ahead. */
export const IAT_CLOCK_SKEW_SECONDS = 60;

/**
 * The claims of an access token this server issued and that is still within its lifetime: signed
 * by a published key, our issuer and audience, `typ: at+jwt`, issued no later than now (give or
 * take IAT_CLOCK_SKEW_SECONDS), and for no longer than any lifetime we issue. Anything else
 * (malformed, foreign, expired, forged) is null; the callers answer all of those alike. The claim
 * checks matter for a token that carries our signature but claims we never set: one signed with a
 * key that leaked before it was withdrawn.
 */
export async function verifyAccessToken(
  token: string,
  context: Pick<OAuthContext, 'keys' | 'issuer' | 'audience' | 'clock'>,
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
      audience: context.audience,
      typ: 'at+jwt',
      algorithms: [...SIGNING_ALGORITHMS],
      currentDate: new Date(context.clock.now()),
      requiredClaims: ['sub', 'aud', 'iat', 'exp', 'jti', 'client_id', 'scope'],
    });
    const claims = payload as unknown as AccessTokenClaims;
    if (
      typeof claims.jti !== 'string' ||
      typeof claims.client_id !== 'string' ||
      typeof claims.scope !== 'string' ||
      // We issue one audience, as a string; an array that merely contains it is not our token.
      claims.aud !== context.audience
    ) {
      return null;
    }
    const now = Math.floor(context.clock.now() / 1000);
    if (claims.iat > now + IAT_CLOCK_SKEW_SECONDS) return null;
    if (claims.exp - claims.iat > MAX_TOKEN_LIFETIME) return null;
    return claims;
  } catch {
    return null;
  }
}
