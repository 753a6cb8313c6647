import { createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, errors, type JWK, jwtVerify } from 'jose';
import type { Client } from '../domain/client.js';
import { TOKEN_PATH } from './endpoint-paths.js';
import { invalidClient, invalidRequest } from './errors.js';
import type { FormParameters } from './form-body.js';
import type { OAuthContext } from './ports.js';

/**
 * private_key_jwt (RFC 7523 §2.2, RFC 7521 §4.2): the client proves itself with a JWT signed by a
 * key whose public half it registered. Everything checked before the signature tells nothing about
 * any client; what is checked after it is told precisely, since only the key's holder can get there.
 */
export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/**
 * Asymmetric only: `none` proves nothing, and an HMAC key would be a shared secret again. Ed25519
 * is EdDSA's fully specified name (RFC 9864), which openid-client sends.
 */
export const ASSERTION_SIGNING_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519'] as const;
type AssertionAlg = (typeof ASSERTION_SIGNING_ALGS)[number];

const MAX_LIFETIME_SECONDS = 300;
const CLOCK_TOLERANCE_SECONDS = 5;
/** Far above any real assertion (an RS256 one with an x5c chain is under 8 KB). */
const MAX_ASSERTION_LENGTH = 16_384;

export type AssertionContext = Pick<OAuthContext, 'clock' | 'issuer' | 'assertionReplays' | 'clientKeys'>;

/** The assertion and the client it names, checked for form only. */
export function readClientAssertion(parameters: FormParameters): { clientId: string; assertion: string } {
  const type = parameters.get('client_assertion_type');
  const assertion = parameters.get('client_assertion');
  if (type === undefined) throw invalidClient('client_assertion_type is missing', false);
  if (type !== JWT_BEARER) throw invalidClient(`client_assertion_type must be ${JWT_BEARER}`, false);
  if (assertion === undefined || assertion === '') throw invalidClient('client_assertion is missing', false);
  if (assertion.length > MAX_ASSERTION_LENGTH) {
    throw invalidClient(`client_assertion is longer than ${MAX_ASSERTION_LENGTH} characters`, false);
  }
  let alg: unknown;
  let claims: Record<string, unknown>;
  try {
    alg = decodeProtectedHeader(assertion).alg;
    claims = decodeJwt(assertion);
  } catch {
    throw invalidClient('client_assertion is not a signed JWT (JWS compact serialization)', false);
  }
  if (!ASSERTION_SIGNING_ALGS.includes(alg as AssertionAlg)) {
    throw invalidClient(
      `client_assertion must be signed with ${ASSERTION_SIGNING_ALGS.join(', ')}, not ${String(alg).slice(0, 20)}`,
      false,
    );
  }
  const { iss, sub } = claims;
  if (typeof sub !== 'string' || sub === '' || iss !== sub) {
    throw invalidClient('client_assertion must carry iss and sub, both the client_id', false);
  }
  const bodyId = parameters.get('client_id');
  if (bodyId !== undefined && bodyId !== sub) {
    throw invalidRequest("client_id in the body differs from the client_assertion's sub");
  }
  return { clientId: sub, assertion };
}

/**
 * Whether the assertion is signed by one of the client's keys (false for an unknown client, or a
 * key it does not have: verified against a decoy key, so both cost one verification), and then
 * its claims, each refused by name: audience, expiry, lifetime, and a jti never seen before.
 */
export async function assertionProves(
  client: Client | null,
  assertion: string,
  context: AssertionContext,
): Promise<boolean> {
  const header = decodeProtectedHeader(assertion);
  const alg = header.alg as AssertionAlg;
  const jwks = client === null ? null : await context.clientKeys.keysOf(client, header.kid);
  const jwk = jwks?.keys.find((k) => (header.kid === undefined || k.kid === header.kid) && fits(k, alg));
  const tokenEndpoint = `${context.issuer}${TOKEN_PATH}`;
  let claims: { exp?: number; jti?: string };
  try {
    ({ payload: claims } = await jwtVerify(assertion, jwk ? publicKey(jwk) : decoyKey(alg), {
      algorithms: [alg],
      issuer: client?.clientId ?? '',
      subject: client?.clientId ?? '',
      audience: [context.issuer, tokenEndpoint],
      requiredClaims: ['exp', 'jti'],
      currentDate: new Date(context.clock.now()),
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    }));
  } catch (error) {
    if (error instanceof errors.JWTExpired) throw invalidClient('client_assertion has expired', false);
    if (error instanceof errors.JWTClaimValidationFailed) {
      if (error.claim === 'aud') {
        throw invalidClient(
          `client_assertion's aud must be the issuer ${context.issuer} or the token endpoint ${tokenEndpoint}`,
          false,
        );
      }
      throw invalidClient(`client_assertion: ${error.message}`, false);
    }
    return false;
  }
  if (jwk === undefined || client === null) return false;
  const exp = Number(claims.exp);
  const now = context.clock.now();
  if (exp * 1000 > now + (MAX_LIFETIME_SECONDS + CLOCK_TOLERANCE_SECONDS) * 1000) {
    throw invalidClient(
      `client_assertion's exp must be at most ${MAX_LIFETIME_SECONDS} seconds ahead`,
      false,
    );
  }
  if (!(await context.assertionReplays.firstUse(`${client.clientId}:${claims.jti}`, exp * 1000))) {
    throw invalidClient('client_assertion has been used before: send a new jti with every request', false);
  }
  return true;
}

/** Whether a registered key may verify `alg`: its type and curve, and its use and alg if it says. */
function fits(jwk: JWK, alg: AssertionAlg): boolean {
  if ((jwk.use !== undefined && jwk.use !== 'sig') || (jwk.alg !== undefined && jwk.alg !== alg))
    return false;
  if (alg === 'ES256') return jwk.kty === 'EC' && jwk.crv === 'P-256';
  if (alg === 'EdDSA' || alg === 'Ed25519') return jwk.kty === 'OKP' && jwk.crv === 'Ed25519';
  return jwk.kty === 'RSA';
}

/** Imported once per key of a cached client: the JWK objects live as long as the client does. */
const imported = new WeakMap<JWK, KeyObject>();

function publicKey(jwk: JWK): KeyObject {
  let key = imported.get(jwk);
  if (key === undefined) {
    key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
    imported.set(jwk, key);
  }
  return key;
}

/** A public key no one has the private half of, one per algorithm, made when first needed. */
const decoys = new Map<AssertionAlg, KeyObject>();

function decoyKey(alg: AssertionAlg): KeyObject {
  let key = decoys.get(alg);
  if (key === undefined) {
    const pair =
      alg === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : alg === 'EdDSA' || alg === 'Ed25519'
          ? generateKeyPairSync('ed25519')
          : generateKeyPairSync('rsa', { modulusLength: 2048 });
    key = pair.publicKey;
    decoys.set(alg, key);
  }
  return key;
}
