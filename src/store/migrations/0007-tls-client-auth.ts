import type { Kysely } from 'kysely';

/**
 * RFC 8705 mutual TLS: the one subject a tls_client_auth application's certificate must carry (its
 * RFC 7591 field name and value; both null for other methods), and whether tokens are bound to the
 * client certificate (`tls_client_certificate_bound_access_tokens`).
 */
export const tlsClientAuth = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('applications').addColumn('tls_subject_field', 'varchar(40)').execute();
    await db.schema.alterTable('applications').addColumn('tls_subject_value', 'text').execute();
    await db.schema
      .alterTable('applications')
      .addColumn('certificate_bound_access_tokens', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('applications').dropColumn('certificate_bound_access_tokens').execute();
    await db.schema.alterTable('applications').dropColumn('tls_subject_value').execute();
    await db.schema.alterTable('applications').dropColumn('tls_subject_field').execute();
  },
};
