import type { Kysely } from 'kysely';

/**
 * How each application authenticates (RFC 7591 `token_endpoint_auth_method`), its public keys,
 * and whether its tokens must be DPoP-bound (RFC 9449 `dpop_bound_access_tokens`).
 * Existing applications keep null: either client secret method, as before.
 */
export const clientAuthentication = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .alterTable('applications')
      .addColumn('token_endpoint_auth_method', 'varchar(40)')
      .execute();
    await db.schema.alterTable('applications').addColumn('jwks', 'text').execute();
    await db.schema.alterTable('applications').addColumn('jwks_uri', 'text').execute();
    await db.schema
      .alterTable('applications')
      .addColumn('dpop_bound_access_tokens', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('applications').dropColumn('dpop_bound_access_tokens').execute();
    await db.schema.alterTable('applications').dropColumn('jwks_uri').execute();
    await db.schema.alterTable('applications').dropColumn('jwks').execute();
    await db.schema.alterTable('applications').dropColumn('token_endpoint_auth_method').execute();
  },
};
