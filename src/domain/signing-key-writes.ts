import type { AuditTrail } from './audit-trail.js';
import { DomainError } from './domain-error.js';
import { type SigningKey, WITHDRAWN_PREFIX } from './signing-key.js';
import { keyRow, type SealedKeyPair } from './signing-key-material.js';
import { inRotationOrder, type SigningKeyState } from './signing-key-states.js';
import type { Store } from './store.js';

/**
 * What the key ring writes, each with its audit event, in the caller's transaction (`tx`): so that
 * no key changes without a record of who changed it.
 */

/**
 * How long past the last possible expiry a retired key stays published: other processes may go on
 * signing with it until they notice the rotation.
 */
export const RETIREMENT_MARGIN_MS = 60_000;

/** Stores `row` after the key it follows, which stays published until its tokens have expired. */
export async function addKey(
  tx: Store,
  audit: AuditTrail,
  row: SigningKey,
  longestLifetime: number,
  actor: string,
): Promise<void> {
  await tx.addSigningKey(row, {
    now: row.createdAt,
    previousExpiresAt: row.activatesAt + longestLifetime * 1000 + RETIREMENT_MARGIN_MS,
  });
  await audit.record(tx, {
    actor,
    action: 'key.rotate',
    targetType: 'signing_key',
    targetId: row.kid,
    detail: {
      alg: row.alg,
      activates_at: new Date(row.activatesAt).toISOString(),
      replaces: row.rotatedFrom || null,
    },
  });
}

/**
 * Takes `kid` out of the JWKS now and, with `replacement`, stores that key pair as the key that
 * signs from now on; returns its row.
 */
export async function withdrawKey(
  tx: Store,
  audit: AuditTrail,
  change: {
    kid: string;
    now: number;
    /** What the key was. */
    state: SigningKeyState;
    replacement: SealedKeyPair | undefined;
    longestLifetime: number;
    actor: string;
  },
): Promise<SigningKey | undefined> {
  const { kid, now, actor } = change;
  if (!(await tx.withdrawSigningKey(kid, now))) {
    throw new DomainError('not_found', `no published signing key has kid '${kid}': withdrawn just now`);
  }
  let replacement: SigningKey | undefined;
  if (change.replacement) {
    // It follows the newest key as the store has it now, not as this instance last saw it:
    // another instance may have rotated since.
    const keys = (await tx.listSigningKeys()).filter((k) => !k.rotatedFrom.startsWith(WITHDRAWN_PREFIX));
    replacement = keyRow(change.replacement, now, now, inRotationOrder(keys)[0]?.kid ?? '');
    await addKey(tx, audit, replacement, change.longestLifetime, actor);
  }
  await audit.record(tx, {
    actor,
    action: 'key.withdraw',
    targetType: 'signing_key',
    targetId: kid,
    detail: { state: change.state, replaced_by: replacement?.kid ?? null },
  });
  return replacement;
}
