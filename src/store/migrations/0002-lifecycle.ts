import { type Kysely, sql } from 'kysely';

/**
 * Token lifecycle: resource servers, revoked tokens, the audit log, and signing keys whose
 * active period follows from `activates_at` (published ahead, then active, then retired).
 */
export const lifecycle = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .alterTable('applications')
      .addColumn('resource_server', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();

    // A key's state now follows from time: status and retired_at give way to activates_at, and
    // rotated_from (unique) lets exactly one of several racing rotations win.
    await db.schema.alterTable('signing_keys').addColumn('activates_at', 'bigint').execute();
    await db.schema.alterTable('signing_keys').addColumn('rotated_from', 'varchar(80)').execute();
    await sql`update signing_keys set activates_at = created_at, rotated_from = ${'legacy:'} || kid`.execute(
      db,
    );
    await db.schema.dropIndex('signing_keys_one_active').execute();
    await db.schema.alterTable('signing_keys').dropColumn('status').execute();
    await db.schema.alterTable('signing_keys').dropColumn('retired_at').execute();
    await db.schema
      .createIndex('signing_keys_rotated_from')
      .on('signing_keys')
      .column('rotated_from')
      .unique()
      .execute();

    await db.schema
      .createTable('revoked_tokens')
      .addColumn('jti', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('client_id', 'varchar(36)', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('revoked_tokens_expires_at')
      .on('revoked_tokens')
      .column('expires_at')
      .execute();

    await db.schema
      .createTable('audit_events')
      .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('actor', 'varchar(200)', (c) => c.notNull())
      .addColumn('action', 'varchar(64)', (c) => c.notNull())
      .addColumn('target_type', 'varchar(32)', (c) => c.notNull())
      .addColumn('target_id', 'varchar(80)')
      .addColumn('detail', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('audit_events_at').on('audit_events').columns(['at', 'id']).execute();
    await db.schema.createIndex('audit_events_target').on('audit_events').column('target_id').execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('audit_events').execute();
    await db.schema.dropTable('revoked_tokens').execute();
    await db.schema.dropIndex('signing_keys_rotated_from').execute();
    await db.schema.alterTable('signing_keys').addColumn('status', 'varchar(16)').execute();
    await db.schema.alterTable('signing_keys').addColumn('retired_at', 'bigint').execute();
    await db.schema.alterTable('signing_keys').dropColumn('rotated_from').execute();
    await db.schema.alterTable('signing_keys').dropColumn('activates_at').execute();
    await db.schema.alterTable('applications').dropColumn('resource_server').execute();
  },
};
