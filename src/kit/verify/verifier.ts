import { errors, jwtVerify } from 'jose';
import { type AccessTokenClaims, requiredScope, type ScopeRequirement, satisfies } from './claims.js';
import { discover, type ServerMetadata } from './discovery.js';
import { type DpopOptions, dpopBinding, type TokenPresentation } from './dpop-binding.js';
import { BearerTokenError } from './errors.js';
import { type IntrospectionOptions, Introspector } from './introspection.js';
import { RemoteKeySet, type RemoteKeySetOptions } from './remote-key-set.js';

/** Every algorithm lean-auth signs with (SIGNING_ALG). */
export const ACCESS_TOKEN_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;

/** Clock skew tolerated on `exp`, in seconds. */
const CLOCK_TOLERANCE_SECONDS = 5;
/**
 * How far in the future an `iat` may lie: the server's own IAT_CLOCK_SKEW_SECONDS (its instances'
 * clocks may differ by that much), so that a token the server accepts is not refused here.
 */
const IAT_CLOCK_SKEW_SECONDS = 60;

export interface VerifierOptions {
  /** The authorization server's issuer identifier, e.g. https://auth.example.com. */
  readonly issuer: string;
  /** The `aud` the tokens must carry (the server's TOKEN_AUDIENCE). Default: the issuer. */
  readonly audience?: string;
  /** With credentials: also ask the server whether the token is still active (sees revocation). */
  readonly introspection?: IntrospectionOptions;
  readonly keySet?: RemoteKeySetOptions;
  /** How DPoP proofs of DPoP-bound tokens are checked (RFC 9449 §7): iat window, replay cache. */
  readonly dpop?: DpopOptions;
}

export interface AccessTokenVerifier {
  /**
   * The token's claims, or a BearerTokenError (invalid_token, insufficient_scope, invalid_dpop_proof).
   * With `presented`, how the request carried the token is checked too: a DPoP-bound token only
   * with a DPoP proof for it, an unbound one only as Bearer. Without it, the token alone.
   */
  verify(
    token: string,
    requirement?: ScopeRequirement,
    presented?: TokenPresentation,
  ): Promise<AccessTokenClaims>;
}

/** A verifier for one issuer: discovery once, then its JWKS kept (see RemoteKeySet). */
export function createAccessTokenVerifier(options: VerifierOptions): AccessTokenVerifier {
  const audience = options.audience ?? options.issuer;
  const checkBinding = dpopBinding(options.dpop);
  let setup: Promise<{ keys: RemoteKeySet; introspector: Introspector | undefined }> | undefined;
  const ready = () => {
    setup ??= discover(options.issuer).then(
      (metadata) => ({
        keys: new RemoteKeySet(metadata.jwks_uri, options.keySet),
        introspector: introspectorOf(metadata),
      }),
      (error: unknown) => {
        setup = undefined; // the next token tries again
        throw error;
      },
    );
    return setup;
  };
  const introspectorOf = (metadata: ServerMetadata) => {
    if (options.introspection === undefined) return undefined;
    if (metadata.introspection_endpoint === undefined)
      throw new Error('the server has no introspection endpoint');
    return new Introspector(metadata.introspection_endpoint, options.introspection);
  };

  return {
    async verify(token, requirement = {}, presented = undefined) {
      const { keys, introspector } = await ready();
      const claims = await verifySignedToken(token, keys, options.issuer, audience);
      if (presented !== undefined) await checkBinding(token, claims, presented);
      if (introspector !== undefined) await introspector.activeClaims(token);
      if (!satisfies(claims, requirement)) {
        const scope = requiredScope(requirement);
        throw new BearerTokenError(
          'insufficient_scope',
          `the access token does not grant scope '${scope}'`,
          scope,
        );
      }
      return claims;
    },
  };
}

/**
 * RFC 9068 §4: typ at+jwt, a signature by one of the issuer's keys, iss, aud, exp and iat. The
 * server checks its own tokens by the same rules in src/oauth/verify-access-token.ts (the kit cannot
 * import server code): keep the two alike.
 */
async function verifySignedToken(
  token: string,
  keys: RemoteKeySet,
  issuer: string,
  audience: string,
): Promise<AccessTokenClaims> {
  try {
    const { payload } = await jwtVerify(token, keys.getKey, {
      issuer,
      audience,
      typ: 'at+jwt',
      algorithms: [...ACCESS_TOKEN_ALGORITHMS],
      requiredClaims: ['iss', 'aud', 'exp', 'iat', 'sub', 'jti', 'client_id', 'scope'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    });
    if (typeof payload.scope !== 'string' || typeof payload.client_id !== 'string') {
      throw new BearerTokenError('invalid_token', 'the access token has no scope or client_id string');
    }
    // lean-auth issues one audience, as a string; an array that merely contains it is not its token.
    if (payload.aud !== audience) {
      throw new BearerTokenError('invalid_token', "the access token's aud claim is not a single string");
    }
    if (payload.iat !== undefined && payload.iat > Date.now() / 1000 + IAT_CLOCK_SKEW_SECONDS) {
      throw new BearerTokenError('invalid_token', 'the access token was issued in the future (iat)');
    }
    return payload as AccessTokenClaims;
  } catch (error) {
    if (error instanceof BearerTokenError) throw error;
    if (error instanceof errors.JOSEError) {
      throw new BearerTokenError('invalid_token', describe(error), undefined, { cause: error });
    }
    throw error; // the JWKS out of reach: the server's trouble, not a bad token
  }
}

/** A description a client may see: what was wrong, never the token. */
function describe(error: InstanceType<typeof errors.JOSEError>): string {
  if (error instanceof errors.JWTExpired) return 'the access token has expired';
  if (error instanceof errors.JWTClaimValidationFailed)
    return `the access token's ${error.claim} claim is not valid (${error.reason})`;
  if (error instanceof errors.JWKSNoMatchingKey)
    return 'the access token is signed by a key the issuer does not publish';
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return 'the access token signature is not valid';
  if (error instanceof errors.JOSEAlgNotAllowed)
    return 'the access token is signed with an algorithm that is not accepted';
  return 'the access token is malformed';
}
