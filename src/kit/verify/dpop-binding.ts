import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, EmbeddedJWK, errors, jwtVerify } from 'jose';
import type { AccessTokenClaims } from './claims.js';
import { BearerTokenError } from './errors.js';
import { type ProofReplayStore, ProofReplays } from './proof-replays.js';

/** The algorithms lean-auth takes DPoP proofs in; a resource server takes the same. */
export const DPOP_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519'] as const;
const MAX_PROOF_LENGTH = 8_192;

/** How the request presented its token: the scheme, and for DPoP the proof and what it is for. */
export interface TokenPresentation {
  readonly scheme: 'Bearer' | 'DPoP';
  /** The request's DPoP header (an array when sent more than once). */
  readonly proof?: string | readonly string[] | undefined;
  /** The request's method, and its URL as the client called it (query and fragment ignored). */
  readonly method?: string;
  readonly url?: string;
}

export interface DpopOptions {
  /** How far a proof's iat may be from now, either way, in seconds. Default 60. */
  readonly iatWindowSeconds?: number;
  /**
   * Refuse a proof whose jti was seen before: `true` for an in-memory cache (one process), or a
   * shared ProofReplayStore for several. Default off: a proof then works for its iat window.
   */
  readonly replayCache?: boolean | ProofReplayStore;
}

/**
 * RFC 9449 §7: a token bound to a key (`cnf.jkt`) is taken only as `Authorization: DPoP` with a
 * proof by that key for this request and this token; a token without that binding only as Bearer.
 */
export function dpopBinding(options: DpopOptions = {}) {
  const windowSeconds = options.iatWindowSeconds ?? 60;
  const replays =
    options.replayCache === true
      ? new ProofReplays()
      : options.replayCache === false
        ? undefined
        : options.replayCache;
  return async function checkBinding(
    token: string,
    claims: AccessTokenClaims,
    presented: TokenPresentation,
  ): Promise<void> {
    const jkt = (claims.cnf as { jkt?: unknown } | undefined)?.jkt;
    if (jkt === undefined) {
      if (presented.scheme === 'DPoP') {
        throw dpopError('invalid_token', 'the access token is not bound to a DPoP key: send it as Bearer');
      }
      return;
    }
    if (presented.scheme !== 'DPoP') {
      throw dpopError(
        'invalid_token',
        'the access token is bound to a DPoP key: send it as Authorization: DPoP with a DPoP proof',
      );
    }
    const proof = onlyProof(presented.proof);
    const payload = await verified(proof);
    if (payload.htm !== presented.method) {
      throw dpopError('invalid_dpop_proof', `the DPoP proof's htm must be ${presented.method}`);
    }
    if (typeof payload.htu !== 'string' || withoutQuery(payload.htu) !== withoutQuery(presented.url ?? '')) {
      throw dpopError(
        'invalid_dpop_proof',
        `the DPoP proof's htu must be ${withoutQuery(presented.url ?? '')}`,
      );
    }
    const iat = Number(payload.iat);
    if (Math.abs(iat * 1000 - Date.now()) > windowSeconds * 1000) {
      throw dpopError(
        'invalid_dpop_proof',
        `the DPoP proof's iat must be within ${windowSeconds} seconds of now`,
      );
    }
    if (payload.ath !== createHash('sha256').update(token).digest('base64url')) {
      throw dpopError('invalid_dpop_proof', "the DPoP proof's ath is not the hash of this access token");
    }
    if (payload.jkt !== jkt) {
      throw dpopError(
        'invalid_dpop_proof',
        'the DPoP proof is not signed by the key the access token is bound to',
      );
    }
    if (
      replays !== undefined &&
      !(await replays.firstUse(`${jkt}:${String(payload.jti)}`, (iat + windowSeconds) * 1000))
    ) {
      throw dpopError(
        'invalid_dpop_proof',
        'the DPoP proof has been used before: make a new one for every request',
      );
    }
  };
}

function onlyProof(proof: TokenPresentation['proof']): string {
  if (proof === undefined || proof === '')
    throw dpopError('invalid_dpop_proof', 'the request has no DPoP proof');
  if (typeof proof !== 'string') throw dpopError('invalid_dpop_proof', 'send one DPoP header, not several');
  if (proof.length > MAX_PROOF_LENGTH || !/^[\w-]+\.[\w-]+\.[\w-]+$/.test(proof)) {
    throw dpopError('invalid_dpop_proof', 'the DPoP header must be one signed JWT');
  }
  return proof;
}

/** The proof's claims and its key's thumbprint (RFC 7638), once its signature and form are checked. */
async function verified(proof: string): Promise<Record<string, unknown> & { jkt: string }> {
  try {
    const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms: [...DPOP_ALGORITHMS],
      requiredClaims: ['iat', 'jti', 'htm', 'htu', 'ath'],
    });
    return { ...payload, jkt: await calculateJwkThumbprint(protectedHeader.jwk ?? {}) };
  } catch (error) {
    if (error instanceof errors.JOSEAlgNotAllowed) {
      throw dpopError(
        'invalid_dpop_proof',
        `the DPoP proof must be signed with ${DPOP_ALGORITHMS.join(', ')}`,
      );
    }
    if (error instanceof errors.JOSEError)
      throw dpopError('invalid_dpop_proof', `invalid DPoP proof: ${error.message}`);
    throw error;
  }
}

const dpopError = (code: 'invalid_token' | 'invalid_dpop_proof', description: string) =>
  new BearerTokenError(code, description, undefined, undefined, 'DPoP');

/** RFC 9449 §4.3: htu is compared without its query and fragment. */
function withoutQuery(uri: string): string {
  return URL.canParse(uri) ? `${new URL(uri).origin}${new URL(uri).pathname}` : uri;
}
