import {
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { SigningAlgorithm } from '../config/signing-algorithms.js';
import { seal, unseal } from './key-encryption.js';
import type { SigningKey } from './signing-key.js';

const generate = promisify(generateKeyPair);

export interface KeyPairMaterial {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly publicJwk: JWK;
  readonly privateKey: KeyObject;
}

/** A new key pair for `alg`; its kid is the RFC 7638 thumbprint of the public key. */
export async function generateKeyPairMaterial(alg: SigningAlgorithm): Promise<KeyPairMaterial> {
  const { privateKey } = await generateFor(alg);
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(jwk, 'sha256');
  return { kid, alg, privateKey, publicJwk: { ...jwk, kid, alg, use: 'sig' } };
}

function generateFor(alg: SigningAlgorithm): Promise<{ privateKey: KeyObject }> {
  switch (alg) {
    case 'RS256':
    case 'PS256':
      return generate('rsa', { modulusLength: 2048 });
    case 'ES256':
      return generate('ec', { namedCurve: 'P-256' });
    case 'EdDSA':
      return generate('ed25519');
  }
}

/** A key pair as stored: its public JWK, and its private key sealed under the key encryption key. */
export type SealedKeyPair = Pick<SigningKey, 'kid' | 'alg' | 'publicJwk' | 'sealedPrivateKey'>;

/** A new key pair of `alg`, sealed under `kek`. */
export async function newSealedKeyPair(alg: SigningAlgorithm, kek: Buffer): Promise<SealedKeyPair> {
  const material = await generateKeyPairMaterial(alg);
  return {
    kid: material.kid,
    alg: material.alg,
    publicJwk: JSON.stringify(material.publicJwk),
    sealedPrivateKey: sealPrivateKey(material.privateKey, material.kid, kek),
  };
}

/** The row of a new key: published from `createdAt`, signing from `activatesAt`, after `rotatedFrom`. */
export function keyRow(
  pair: SealedKeyPair,
  createdAt: number,
  activatesAt: number,
  rotatedFrom: string,
): SigningKey {
  return { ...pair, createdAt, activatesAt, rotatedFrom, expiresAt: null };
}

/** The private key as stored: PKCS#8, sealed under the key encryption key, bound to its kid. */
function sealPrivateKey(privateKey: KeyObject, kid: string, kek: Buffer): string {
  return seal(privateKey.export({ format: 'der', type: 'pkcs8' }), kek, kid);
}

export function unsealPrivateKey(sealed: string, kid: string, kek: Buffer): KeyObject {
  return createPrivateKey({ key: unseal(sealed, kek, kid), format: 'der', type: 'pkcs8' });
}

/** Only public members ever leave the server, whatever the stored JWK holds. */
export function publicJwkOf(stored: string): JsonWebKey {
  const { kty, crv, n, e, x, y, kid, alg, use } = JSON.parse(stored) as Record<string, string | undefined>;
  return Object.fromEntries(
    Object.entries({ kty, crv, n, e, x, y, kid, alg, use }).filter(([, v]) => v !== undefined),
  ) as JsonWebKey;
}
