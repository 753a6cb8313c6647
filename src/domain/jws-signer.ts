import { constants, type KeyObject, type SignKeyObjectInput, sign } from 'node:crypto';
import type { SigningAlgorithm } from '../config/signing-algorithms.js';

/** Signs JWT access tokens with one private key. */
export interface JwsSigner {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  /** The compact JWS of `claims` with header `{alg, typ: "at+jwt", kid}` (RFC 9068). */
  sign(claims: object): string;
}

/**
 * A signer over node:crypto with the header encoded once per key: the token path pays for one
 * JSON.stringify of the claims and one signature, nothing more.
 */
export function createJwsSigner(alg: SigningAlgorithm, kid: string, privateKey: KeyObject): JwsSigner {
  const prefix = `${Buffer.from(JSON.stringify({ alg, typ: 'at+jwt', kid })).toString('base64url')}.`;
  const { digest, key } = signingParameters(alg, privateKey);
  return {
    kid,
    alg,
    sign(claims) {
      const input = prefix + Buffer.from(JSON.stringify(claims)).toString('base64url');
      return `${input}.${sign(digest, Buffer.from(input), key).toString('base64url')}`;
    },
  };
}

function signingParameters(
  alg: SigningAlgorithm,
  privateKey: KeyObject,
): { digest: string | null; key: SignKeyObjectInput } {
  switch (alg) {
    case 'RS256':
      return { digest: 'sha256', key: { key: privateKey } };
    case 'PS256':
      return {
        digest: 'sha256',
        key: {
          key: privateKey,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
        },
      };
    case 'ES256':
      // JWS wants the raw r||s form, not DER.
      return { digest: 'sha256', key: { key: privateKey, dsaEncoding: 'ieee-p1363' } };
    case 'EdDSA':
      return { digest: null, key: { key: privateKey } };
  }
}
