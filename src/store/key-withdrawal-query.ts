import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { WITHDRAWN_PREFIX } from './store.js';

/**
 * Takes a published key out of the JWKS at once (its expiry becomes `now`) and out of the chain of
 * rotations: its rotated_from becomes WITHDRAWN_PREFIX + kid (unique still, no key's predecessor),
 * and the key that followed it follows its predecessor instead, so the order of the keys that remain
 * does not hang on a row that the next rotation's clean-up deletes. Runs in the caller's
 * transaction; false when no key with this kid is published at `now`.
 */
export async function withdrawKeyRow(tx: Kysely<Database>, kid: string, now: number): Promise<boolean> {
  const key = await tx
    .selectFrom('signing_keys')
    .select('rotated_from')
    .where('kid', '=', kid)
    .executeTakeFirst();
  if (!key) return false;
  // The published condition is in the update, so that of two withdrawals at once only one counts.
  const withdrawn = await tx
    .updateTable('signing_keys')
    .set({ expires_at: now, rotated_from: `${WITHDRAWN_PREFIX}${kid}` })
    .where('kid', '=', kid)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .executeTakeFirst();
  if (Number(withdrawn.numUpdatedRows) === 0) return false;
  await tx
    .updateTable('signing_keys')
    .set({ rotated_from: key.rotated_from })
    .where('rotated_from', '=', kid)
    .execute();
  return true;
}
