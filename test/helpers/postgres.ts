import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The PostgreSQL server the tests use; each test works in a schema of its own inside it. */
export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let available: Promise<boolean> | undefined;

/** Whether the test PostgreSQL answers (asked once per process). */
export function postgresAvailable(): Promise<boolean> {
  available ??= (async () => {
    const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return available;
}

/**
 * The node:test `skip` option for suites that need PostgreSQL: false when it answers; a reason
 * when it does not, on a newcomer's machine. In CI (CI=true) a missing service is a failure instead.
 */
export async function skipWithoutPostgres(): Promise<string | false> {
  if (await postgresAvailable()) return false;
  if (process.env.CI)
    throw new Error(`PostgreSQL is required in CI but does not answer at ${TEST_POSTGRES_URL}`);
  const reason = `PostgreSQL does not answer at ${TEST_POSTGRES_URL} (start it, or set TEST_POSTGRES_URL)`;
  process.stderr.write(`skipping PostgreSQL suite: ${reason}\n`);
  return reason;
}

/** A DATABASE_URL for a new, empty schema, and a function that drops it. */
export function freshPostgresSchema(): { url: string; schema: string; drop: () => Promise<void> } {
  const schema = `lean_auth_test_${randomBytes(6).toString('hex')}`;
  const url = new URL(TEST_POSTGRES_URL);
  url.searchParams.set('schema', schema);
  return {
    url: url.toString(),
    schema,
    async drop() {
      const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await client.connect();
      try {
        await client.query(`drop schema if exists ${schema} cascade`);
      } finally {
        await client.end();
      }
    },
  };
}
