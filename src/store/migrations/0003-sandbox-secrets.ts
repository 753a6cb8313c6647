import type { Kysely } from 'kysely';

/**
 * The secrets a sandbox makes for itself (its key encryption key, its admin token), kept in the
 * database on PostgreSQL so that every instance finds them, wherever it was started from.
 */
export const sandboxSecrets = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('sandbox_secrets')
      .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('sandbox_secrets').execute();
  },
};
