import type { RevocationStore } from '../../domain/revoked-token.js';
import type { KyselyContext } from './context.js';

/** Revoked tokens, over Kysely: no change notice, as no cache holds them. */
export function kyselyRevocationStore({ db }: KyselyContext): RevocationStore {
  return {
    async revokeToken(token) {
      await db
        .insertInto('revoked_tokens')
        .values({
          jti: token.jti,
          client_id: token.clientId,
          revoked_at: token.revokedAt,
          expires_at: token.expiresAt,
        })
        .onConflict((oc) => oc.column('jti').doNothing())
        .execute();
    },

    async isTokenRevoked(jti) {
      const row = await db
        .selectFrom('revoked_tokens')
        .select('jti')
        .where('jti', '=', jti)
        .executeTakeFirst();
      return row !== undefined;
    },

    async purgeRevokedTokens(now) {
      const result = await db.deleteFrom('revoked_tokens').where('expires_at', '<=', now).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
