import type { Kysely } from 'kysely';

/**
 * How each application authenticates (RFC 7591 `token_endpoint_auth_method`) and its public keys.
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
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('applications').dropColumn('jwks_uri').execute();
    await db.schema.alterTable('applications').dropColumn('jwks').execute();
    await db.schema.alterTable('applications').dropColumn('token_endpoint_auth_method').execute();
  },
};
