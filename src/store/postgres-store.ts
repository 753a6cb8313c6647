import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Store, StoreChange } from '../domain/store.js';
import { kyselyStore } from './kysely/kysely-store.js';
import type { Database } from './kysely/schema.js';
import { ChangeListener } from './postgres-change-listener.js';

/** No query may hang a request: connecting and each statement give up after this. */
const QUERY_TIMEOUT_MS = 5_000;
const CHANNEL_PREFIX = 'lean_auth_changes';

/** bigint columns hold millisecond times, which fit a JavaScript number exactly. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/**
 * Connection settings from a postgres:// URL. A `schema` query parameter (ours, not libpq's) puts
 * every table in that schema, so that several deployments or test runs can share one database.
 */
export function postgresConnection(url: string): { config: pg.ClientConfig; schema: string | undefined } {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema') ?? undefined;
  parsed.searchParams.delete('schema');
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`DATABASE_URL schema must be a lower-case SQL identifier, got '${schema}'`);
  }
  return {
    schema,
    config: {
      connectionString: parsed.toString(),
      connectionTimeoutMillis: QUERY_TIMEOUT_MS,
      query_timeout: QUERY_TIMEOUT_MS,
      types,
      ...(schema && { options: `-c search_path=${schema}` }),
    },
  };
}

/** Opens the PostgreSQL store: a pool for queries, and one connection that LISTENs for changes. */
export async function openPostgresStore(url: string): Promise<Store> {
  const { config, schema: named } = postgresConnection(url);
  const schema = await dataSchema(config, named, url);
  const pool = new pg.Pool({ ...config, max: 10 });
  // An idle client that loses its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const channel = named ? `${CHANNEL_PREFIX}_${named}` : CHANNEL_PREFIX;
  const listeners = new Set<(change: StoreChange) => void>();
  const listener = new ChangeListener(config, channel, (change) => {
    for (const l of listeners) l(change);
  });

  return kyselyStore(db, {
    isUniqueViolation: (error) =>
      typeof error === 'object' && error !== null && 'code' in error && error.code === '23505',

    // NOTIFY inside the transaction is delivered at commit, and never if it rolls back.
    announce: async (tx, change) => {
      await sql`select pg_notify(${channel}, ${JSON.stringify(change)})`.execute(tx);
    },

    watch(l) {
      listeners.add(l);
      listener.start();
      return () => {
        listeners.delete(l);
        if (listeners.size === 0) listener.stop();
      };
    },

    // Kysely's PostgreSQL migrator already holds an advisory lock and a transaction.
    withMigrationLock: (migrate) => migrate(),
    schema,

    async close() {
      listener.stop();
      await db.destroy();
    },
  });
}

/**
 * The schema the tables live in, where the migration bookkeeping must live too: the `schema` of
 * DATABASE_URL (created if missing), or the first existing one of the search_path. Connecting for
 * it first also turns a server that cannot be reached into a message that says so.
 */
async function dataSchema(config: pg.ClientConfig, named: string | undefined, url: string): Promise<string> {
  const client = new pg.Client(config);
  // An error after connect (the server going away) must not crash the process.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    throw new Error(connectionFailure(url, error), { cause: error });
  }
  try {
    if (named) await client.query(`create schema if not exists ${named}`);
    const { rows } = await client.query<{ schema: string | null }>('select current_schema() as schema');
    const schema = rows[0]?.schema;
    if (!schema) {
      throw new Error(
        'DATABASE_URL: no schema of the search_path exists in this database; name one with ?schema=<name>',
      );
    }
    return schema;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Why connecting failed, in plain words: `cannot connect to PostgreSQL at 127.0.0.1:5432: connection refused`. */
export function connectionFailure(url: string, error: unknown): string {
  const parsed = new URL(url);
  const where = `${parsed.hostname || 'localhost'}:${parsed.port || 5432}`;
  const failure = error as { code?: string; message?: string; errors?: { code?: string }[] };
  const code = failure.code ?? failure.errors?.[0]?.code;
  const reason =
    code === 'ECONNREFUSED'
      ? 'connection refused (is PostgreSQL running there?)'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? `no such host '${parsed.hostname}'`
        : code === 'ETIMEDOUT' || /timeout/i.test(failure.message ?? '')
          ? `no answer within ${QUERY_TIMEOUT_MS / 1000} s`
          : (failure.message ?? String(error));
  return `cannot connect to PostgreSQL at ${where}: ${reason}`;
}
