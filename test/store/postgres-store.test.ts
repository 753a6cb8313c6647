import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { StoreChange } from '../../src/domain/store.js';
import { openPostgresStore, postgresConnection } from '../../src/store/postgres-store.js';
import { skipWithoutPostgres, TEST_POSTGRES_URL } from '../helpers/postgres.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres-database.js';
import { application, secretFor } from './contract/fixtures.js';

const skip = await skipWithoutPostgres();

// This file works in a database of its own, so that no schema of another test file or run is in
// the database while it migrates its schemas (see the Kysely migrator test below).
let database: TestDatabase;
if (!skip) {
  before(async () => {
    database = await createTestDatabase();
  });
  after(() => database.drop());
}

async function waitFor(condition: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail('timed out waiting');
    await sleep(20);
  }
}

describe('PostgreSQL store specifics', { skip }, () => {
  it('tells other connections what changed, through LISTEN/NOTIFY', async () => {
    const schema = database.freshSchema();
    const writer = await openPostgresStore(schema.url);
    const reader = await openPostgresStore(schema.url);
    try {
      await writer.migrate();
      const seen: StoreChange[] = [];
      const stop = reader.watch((change) => seen.push(change));
      await sleep(200); // let LISTEN start
      const clientId = randomUUID();
      await writer.insertApplication(
        application({ clientId, name: 'a', tokenClasses: ['api'], createdAt: 1, updatedAt: 1 }),
        secretFor(clientId, { digest: '00'.repeat(32), createdAt: 1 }),
      );
      await waitFor(() => seen.length > 0);
      assert.deepEqual(seen, [{ entity: 'application', id: clientId }]);
      stop();
    } finally {
      await writer.close();
      await reader.close();
      await schema.drop();
    }
  });

  it('tells other connections of deletions and key withdrawals, so that their caches drop the ids', async () => {
    const schema = database.freshSchema();
    const writer = await openPostgresStore(schema.url);
    const reader = await openPostgresStore(schema.url);
    try {
      await writer.migrate();
      const clientId = randomUUID();
      const customerId = randomUUID();
      await writer.insertApplication(
        application({ clientId, name: 'a', tokenClasses: ['api', 'customer'], createdAt: 1, updatedAt: 1 }),
        secretFor(clientId, { digest: '00'.repeat(32), createdAt: 1 }),
      );
      const customer = { customerId, clientId, appUserId: 'u', status: 'active', createdAt: 1 } as const;
      await writer.insertCustomer(customer);
      await writer.insertCustomer({ ...customer, customerId: randomUUID(), appUserId: 'v' });
      const kid = `kid-${randomUUID()}`;
      await writer.addSigningKey(
        {
          kid,
          alg: 'ES256',
          publicJwk: '{}',
          sealedPrivateKey: 'x',
          createdAt: 1,
          activatesAt: 1,
          rotatedFrom: '',
          expiresAt: null,
        },
        { now: 1, previousExpiresAt: null },
      );
      const seen: StoreChange[] = [];
      const stop = reader.watch((change) => seen.push(change));
      await sleep(200); // let LISTEN start
      await writer.deleteCustomer(customerId, 2);
      await writer.deleteApplication(clientId, 3);
      await writer.withdrawSigningKey(kid, 4);
      await waitFor(() => seen.length >= 3);
      assert.deepEqual(seen, [
        { entity: 'customer', id: customerId },
        { entity: 'application', id: clientId },
        { entity: 'signing_key' },
      ]);
      stop();
    } finally {
      await writer.close();
      await reader.close();
      await schema.drop();
    }
  });

  it('reconnects a lost LISTEN connection and then reports that anything may have changed', async () => {
    const schema = database.freshSchema();
    const store = await openPostgresStore(schema.url);
    try {
      await store.migrate();
      const seen: StoreChange[] = [];
      const stop = store.watch((change) => seen.push(change));
      await sleep(300);
      const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await admin.connect();
      // Kill the listening backend, as a network cut or a server restart would.
      await admin.query(
        `select pg_terminate_backend(pid) from pg_stat_activity where query like 'LISTEN lean_auth_changes_${schema.schema}%'`,
      );
      await admin.end();
      await waitFor(() => seen.some((c) => c.entity === 'anything'), 5000);
      stop();
    } finally {
      await store.close();
      await schema.drop();
    }
  });

  it('deployments in two schemas of one database migrate independently', async () => {
    const first = database.freshSchema();
    const second = database.freshSchema();
    const a = await openPostgresStore(first.url);
    const b = await openPostgresStore(second.url);
    try {
      await a.migrate();
      await b.migrate();
      assert.equal(await b.countApplications(), 0);
      assert.deepEqual(await b.listAuditEvents({}, { limit: 1 }), []);
    } finally {
      await a.close();
      await b.close();
      await first.drop();
      await second.drop();
    }
  });

  it('keeps the migration tables in the schema of the data, though another schema of the database holds its own', async () => {
    const other = database.freshSchema();
    const elsewhere = await openPostgresStore(other.url);
    await elsewhere.migrate();
    await elsewhere.close();
    // No ?schema=: the data lives in the search_path's schema (public), and so must the bookkeeping.
    const plain = await openPostgresStore(database.url);
    try {
      await plain.migrate();
      assert.equal(await plain.countApplications(), 0);
      const admin = new pg.Client({ connectionString: database.url });
      await admin.connect();
      const { rows } = await admin.query<{ table_schema: string }>(
        "select table_schema from information_schema.tables where table_name = 'kysely_migration' order by 1",
      );
      await admin.end();
      assert.deepEqual(
        rows.map((row) => row.table_schema),
        [other.schema, 'public'].sort(),
      );
    } finally {
      await plain.close();
      await other.drop();
    }
  });

  it('keeps the schema parameter out of the connection string and refuses unsafe names', () => {
    const { config, schema } = postgresConnection('postgres://u@h:5432/db?schema=abc&sslmode=disable');
    assert.equal(schema, 'abc');
    assert.equal(config.connectionString, 'postgres://u@h:5432/db?sslmode=disable');
    assert.throws(() => postgresConnection('postgres://u@h/db?schema=a;drop'), /lower-case SQL identifier/);
  });
});
