import { type Kysely, sql } from 'kysely';

/** Applications, their secrets, their customers, and the signing keys. */
export const initial = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('applications')
      .addColumn('client_id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('name', 'varchar(200)', (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('token_classes', 'varchar(64)', (c) => c.notNull())
      .addColumn('api_token_ttl', 'integer')
      .addColumn('customer_token_ttl', 'integer')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('client_secrets')
      .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('client_id', 'varchar(36)', (c) =>
        c.notNull().references('applications.client_id').onDelete('cascade'),
      )
      .addColumn('digest', 'varchar(64)', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('client_secrets_client_id')
      .on('client_secrets')
      .column('client_id')
      .execute();

    await db.schema
      .createTable('customers')
      .addColumn('customer_id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('client_id', 'varchar(36)', (c) =>
        c.notNull().references('applications.client_id').onDelete('cascade'),
      )
      .addColumn('app_user_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('customers_app_user_id_unique', ['client_id', 'app_user_id'])
      .execute();

    await db.schema
      .createTable('signing_keys')
      .addColumn('kid', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('alg', 'varchar(16)', (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('public_jwk', 'text', (c) => c.notNull())
      .addColumn('sealed_private_key', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('retired_at', 'bigint')
      .addColumn('expires_at', 'bigint')
      .execute();
    // At most one active key, whichever process rotates.
    await db.schema
      .createIndex('signing_keys_one_active')
      .on('signing_keys')
      .column('status')
      .unique()
      .where(sql.ref('status'), '=', 'active')
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    for (const table of ['signing_keys', 'customers', 'client_secrets', 'applications']) {
      await db.schema.dropTable(table).execute();
    }
  },
};
