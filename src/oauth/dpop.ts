import { calculateJwkThumbprint, EmbeddedJWK, errors, jwtVerify } from 'jose';
import { useDpopNonce } from './dpop-nonce.js';
import { OAuthError } from './errors.js';
import type { OAuthContext, OAuthRequest } from './ports.js';

/**
 * DPoP (RFC 9449) at the token endpoint: a proof that the client holds a private key, whose public
 * half is in the proof's header. The access token is then bound to that key (`cnf.jkt`), so that a
 * stolen token is useless without it. With DPOP_NONCE=on, a proof must
 * also carry a server nonce (dpop-nonce.ts).
 */
export const DPOP_SIGNING_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519'] as const;

/** How far a proof's iat may be from now, either way: proofs are made for one request. */
const IAT_WINDOW_SECONDS = 60;
const MAX_PROOF_LENGTH = 8_192;

export const invalidDpopProof = (description: string): OAuthError =>
  new OAuthError('invalid_dpop_proof', description, 400, {
    'WWW-Authenticate': `DPoP error="invalid_dpop_proof", error_description="${description.replaceAll('"', "'")}", algs="${DPOP_SIGNING_ALGS.join(' ')}"`,
  });

/** The proof's key thumbprint (RFC 7638), once the proof is checked for `htm` and `htu`. */
export async function verifyDpopProof(
  proof: string,
  expected: { htm: string; htu: string },
  context: Pick<OAuthContext, 'clock' | 'assertionReplays' | 'dpopNonces'>,
): Promise<string> {
  if (proof.length > MAX_PROOF_LENGTH || !/^[\w-]+\.[\w-]+\.[\w-]+$/.test(proof)) {
    throw invalidDpopProof('the DPoP header must be one signed JWT');
  }
  const now = context.clock.now();
  let payload: { htm?: unknown; htu?: unknown; iat?: number; jti?: unknown; nonce?: unknown };
  let jkt: string;
  try {
    const verified = await jwtVerify(proof, EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms: [...DPOP_SIGNING_ALGS],
      requiredClaims: ['iat', 'jti', 'htm', 'htu'],
      currentDate: new Date(now),
    });
    payload = verified.payload;
    jkt = await calculateJwkThumbprint(verified.protectedHeader.jwk ?? {});
  } catch (error) {
    if (error instanceof errors.JOSEAlgNotAllowed) {
      throw invalidDpopProof(`the DPoP proof must be signed with ${DPOP_SIGNING_ALGS.join(', ')}`);
    }
    const reason = error instanceof errors.JOSEError ? error.message : 'not a valid signed JWT';
    throw invalidDpopProof(`invalid DPoP proof: ${reason}`);
  }
  if (payload.htm !== expected.htm) throw invalidDpopProof(`the DPoP proof's htm must be ${expected.htm}`);
  if (typeof payload.htu !== 'string' || withoutQuery(payload.htu) !== expected.htu) {
    throw invalidDpopProof(`the DPoP proof's htu must be ${expected.htu}`);
  }
  const iat = Number(payload.iat);
  if (Math.abs(iat * 1000 - now) > IAT_WINDOW_SECONDS * 1000) {
    throw invalidDpopProof(`the DPoP proof's iat must be within ${IAT_WINDOW_SECONDS} seconds of now`);
  }
  // After every other check (§8: a nonce is asked for only of an otherwise good proof), before the
  // replay cache records the jti: the client's retry with the nonce is a new proof anyway.
  const nonces = context.dpopNonces;
  if (nonces !== undefined && !nonces.accepts(payload.nonce)) {
    throw useDpopNonce(
      payload.nonce === undefined
        ? 'the DPoP proof must carry the nonce of the DPoP-Nonce header'
        : "the DPoP proof's nonce is not current: use the one of the DPoP-Nonce header",
      nonces.current(),
    );
  }
  const replayKey = `dpop:${jkt}:${String(payload.jti)}`;
  if (!(await context.assertionReplays.firstUse(replayKey, (iat + IAT_WINDOW_SECONDS) * 1000))) {
    throw invalidDpopProof('the DPoP proof has been used before: make a new one for every request');
  }
  return jkt;
}

/** RFC 9449 §4.3: htu is compared without its query and fragment. */
function withoutQuery(uri: string): string {
  try {
    const url = new URL(uri);
    return `${url.origin}${url.pathname}`;
  } catch {
    return uri;
  }
}

/**
 * RFC 9449 §8: with DPOP_NONCE=on, every token answer to a request with a proof carries the nonce
 * for the client's next proof (as a header to add to the answer); nothing otherwise.
 */
export function nextDpopNonce(
  request: OAuthRequest,
  context: Pick<OAuthContext, 'dpopNonces'>,
): { 'DPoP-Nonce': string } | undefined {
  if (context.dpopNonces === undefined || request.dpop === undefined) return undefined;
  return { 'DPoP-Nonce': context.dpopNonces.current() };
}
