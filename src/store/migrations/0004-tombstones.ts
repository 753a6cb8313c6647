import type { Kysely } from 'kysely';

/**
 * The ids of deleted applications and customers. Deleting keeps nothing of what was deleted but
 * its id, so that no later write can give that id to something else: a token or an audit record
 * that names it can never come to mean another application or end user.
 */
export const tombstones = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('tombstones')
      .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('kind', 'varchar(16)', (c) => c.notNull())
      .addColumn('deleted_at', 'bigint', (c) => c.notNull())
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('tombstones').execute();
  },
};
