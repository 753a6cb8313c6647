import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** At most two secrets are live at once: the current one and, during a rotation, the previous one. */
export const MAX_LIVE_SECRETS = 2;

/** A fresh 256-bit secret, base64url: generated here, shown once, never stored. */
export function generateClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The stored form of a secret. A fast digest is safe here because the secret is 256 random bits,
 * not a password: there is nothing to brute-force, so no slow hash is needed on the hot path.
 */
export function digestSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

const NO_MATCH = digestSecret('lean-auth: a digest no secret is expected to produce');

/**
 * True when `secret` matches one of the digests. Always compares MAX_LIVE_SECRETS digests in
 * constant time, so a client with one secret, two secrets or none (unknown) takes the same time.
 */
export function secretMatches(secret: string, digests: readonly Buffer[]): boolean {
  const presented = digestSecret(secret);
  let matched = false;
  for (let slot = 0; slot < MAX_LIVE_SECRETS; slot++) {
    const digest = digests[slot] ?? NO_MATCH;
    // Non-short-circuiting OR: every slot is compared whatever the earlier ones said.
    matched = timingSafeEqual(presented, digest) || matched;
  }
  return matched;
}
