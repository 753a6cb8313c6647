import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { TEST_POSTGRES_URL } from './postgres.js';

async function run(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  /** The URL of the database itself (its public schema). */
  readonly url: string;
  /** A DATABASE_URL for a new, empty schema in this database, and a function that drops it. */
  freshSchema(): { url: string; schema: string; drop: () => Promise<void> };
  drop(): Promise<void>;
}

/**
 * A database of its own on the test PostgreSQL server, for one test file. Tests of other files (and
 * other test runs) work in other databases, so they never see this file's schemas: Kysely's
 * migrator looks for its tables in every schema of the database (see postgres-store.test.ts).
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `lean_auth_db_${randomBytes(6).toString('hex')}`;
  await run(TEST_POSTGRES_URL, `create database ${name}`);
  const base = new URL(TEST_POSTGRES_URL);
  base.pathname = `/${name}`;
  const url = base.toString();
  return {
    url,
    freshSchema() {
      const schema = `lean_auth_test_${randomBytes(6).toString('hex')}`;
      const schemaUrl = new URL(url);
      schemaUrl.searchParams.set('schema', schema);
      return {
        url: schemaUrl.toString(),
        schema,
        drop: () => run(url, `drop schema if exists ${schema} cascade`),
      };
    },
    drop: () => run(TEST_POSTGRES_URL, `drop database if exists ${name} with (force)`),
  };
}
