import { type Kysely, sql } from 'kysely';
import { type SigningKey, type SigningKeyStore, WITHDRAWN_PREFIX } from '../../domain/signing-key.js';
import { StoreConflictError } from '../../domain/store.js';
import type { KyselyContext } from './context.js';
import type { Database, Row } from './schema.js';

/** Signing keys, over Kysely. */
export function kyselySigningKeyStore({ db, dialect, write }: KyselyContext): SigningKeyStore {
  return {
    async listSigningKeys() {
      const rows = await db
        .selectFrom('signing_keys')
        .selectAll()
        .orderBy('created_at', 'desc')
        .orderBy('activates_at', 'desc')
        .execute();
      return rows.map(signingKeyFromDb);
    },

    async addSigningKey(key, change) {
      try {
        await write({ entity: 'signing_key' }, (tx) => addKeyRow(tx, key, change));
      } catch (error) {
        if (dialect.isUniqueViolation(error)) {
          throw new StoreConflictError('another process rotated the signing key first', { cause: error });
        }
        throw error;
      }
    },

    withdrawSigningKey: (kid, now) => write({ entity: 'signing_key' }, (tx) => withdrawKeyRow(tx, kid, now)),
  };
}

/* The writes below run inside the caller's transaction. */

/**
 * Adds `key` after the key it follows (see Store.addSigningKey). A unique violation of
 * rotated_from (another rotation followed the same key first) is the caller's to map.
 */
async function addKeyRow(
  tx: Kysely<Database>,
  key: SigningKey,
  change: { now: number; previousExpiresAt: number | null },
): Promise<void> {
  // First the insert: the unique rotated_from makes a racing second rotation fail here.
  await tx.insertInto('signing_keys').values(signingKeyToDb(key)).execute();
  if (key.rotatedFrom !== '') {
    const until = change.previousExpiresAt;
    // Only ever sooner; and never from a withdrawn key (its row lock orders us after a withdrawal
    // in flight, and then this matches nothing).
    const followed = await tx
      .updateTable('signing_keys')
      .set((eb) => ({
        expires_at:
          until === null
            ? eb.ref('expires_at')
            : eb
                .case()
                .when(eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', until)]))
                .then(sql.lit(Math.trunc(until)))
                .else(eb.ref('expires_at'))
                .end(),
      }))
      .where('kid', '=', key.rotatedFrom)
      .where('rotated_from', 'not like', `${WITHDRAWN_PREFIX}%`)
      .executeTakeFirst();
    if (Number(followed.numUpdatedRows) === 0) {
      throw new StoreConflictError(`the key ${key.rotatedFrom} is withdrawn or gone: follow its replacement`);
    }
  }
  await tx.deleteFrom('signing_keys').where('expires_at', '<=', change.now).execute();
}

/**
 * Takes a published key out of the JWKS at once (its expiry becomes `now`) and out of the chain of
 * rotations: its rotated_from becomes WITHDRAWN_PREFIX + kid (unique still, no key's predecessor),
 * and the key that followed it follows its predecessor instead, so the order of the keys that remain
 * does not hang on a row that the next rotation's clean-up deletes. Runs in the caller's
 * transaction; false when no key with this kid is published at `now`.
 */
async function withdrawKeyRow(tx: Kysely<Database>, kid: string, now: number): Promise<boolean> {
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

function signingKeyToDb(k: SigningKey): Row<'signing_keys'> {
  return {
    kid: k.kid,
    alg: k.alg,
    public_jwk: k.publicJwk,
    sealed_private_key: k.sealedPrivateKey,
    created_at: k.createdAt,
    activates_at: k.activatesAt,
    rotated_from: k.rotatedFrom,
    expires_at: k.expiresAt,
  };
}

function signingKeyFromDb(r: Row<'signing_keys'>): SigningKey {
  return {
    kid: r.kid,
    alg: r.alg,
    publicJwk: r.public_jwk,
    sealedPrivateKey: r.sealed_private_key,
    createdAt: Number(r.created_at),
    activatesAt: Number(r.activates_at),
    rotatedFrom: r.rotated_from,
    expiresAt: r.expires_at === null ? null : Number(r.expires_at),
  };
}
