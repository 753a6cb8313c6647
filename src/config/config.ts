import { resolve } from 'node:path';
import type { DatabaseLocation } from './database-url.js';
import { isLoopbackHost } from './listen-host.js';
import { MIN_ADMIN_TOKEN_LENGTH } from './secrets.js';
import { isHttpUrl } from './setting.js';
import { SETTINGS } from './settings/index.js';

export type { DatabaseLocation } from './database-url.js';
export { CONFIG_VARIABLES } from './settings/index.js';
export type { LogLevel } from './settings/operations.js';
export type { TrustedProxies } from './trust-proxy.js';

type Row = (typeof SETTINGS)[number];
/** One field per row of the table, of the type its parser gives. */
type TableValues = { readonly [R in Row as R['key']]: ReturnType<R['parse']> };

/** The whole configuration, read once from the environment and frozen; its fields are described in the table. */
export type Config = Omit<TableValues, 'tlsCertFile' | 'tlsKeyFile' | 'tlsClientCaFile'> & {
  /** Where a sandbox keeps what it generates for itself (the key encryption key): the SQLite file's folder. */
  readonly dataDir: string;
  /**
   * TLS_CERT_FILE and TLS_KEY_FILE together: with both, the server speaks HTTPS itself, verifying
   * client certificates against TLS_CLIENT_CA_FILE when it is set.
   */
  readonly tls:
    | { readonly certFile: string; readonly keyFile: string; readonly clientCaFile: string | undefined }
    | undefined;
};

/** Thrown when the environment does not describe a configuration we can run with; lists every problem. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** Reads and validates the configuration from an environment (process.env by default). */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  // An empty variable counts as unset.
  const read = (name: string): string | undefined => env[name]?.trim() || undefined;
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const row of SETTINGS) {
    values[row.key] = row.parse(read(row.name) ?? row.default, { problems, cwd, earlier: values });
  }
  const table = values as TableValues;
  problems.push(...unchosenEnvironment(read, table), ...unpairedTls(table), ...productionGaps(read, table));
  if (problems.length > 0) throw new ConfigError(problems);
  const { tlsCertFile, tlsKeyFile, tlsClientCaFile, ...rest } = table;
  return Object.freeze({
    ...rest,
    dataDir: dataDir(table.database, cwd),
    tls:
      tlsCertFile && tlsKeyFile
        ? { certFile: tlsCertFile, keyFile: tlsKeyFile, clientCaFile: tlsClientCaFile }
        : undefined,
  });
}

/**
 * Sandbox is the default for a start on this machine, but a server that others can reach, or one
 * with an https issuer, is likely meant for production: it must say which it is.
 */
function unchosenEnvironment(read: (name: string) => string | undefined, table: TableValues): string[] {
  if (read('LEAN_AUTH_ENV') !== undefined) return [];
  const { host, issuer } = table;
  const reasons = [
    ...(read('HOST') !== undefined && !isLoopbackHost(host)
      ? [`HOST=${host} listens beyond this machine`]
      : []),
    ...(/^https:/i.test(issuer) && isHttpUrl(issuer) ? [`ISSUER=${issuer} is an https address`] : []),
  ];
  if (reasons.length === 0) return [];
  return [
    `LEAN_AUTH_ENV is not set and ${reasons.join(' and ')}: choose LEAN_AUTH_ENV=production ` +
      '(refuses insecure settings) or LEAN_AUTH_ENV=sandbox (generates its own keys and a demo application)',
  ];
}

function unpairedTls({ tlsCertFile, tlsKeyFile }: TableValues): string[] {
  if ((tlsCertFile === undefined) === (tlsKeyFile === undefined)) return [];
  return ['TLS_CERT_FILE and TLS_KEY_FILE go together: set both for HTTPS, or neither'];
}

/** What production refuses to run without. */
function productionGaps(
  read: (name: string) => string | undefined,
  { env, adminToken, issuer }: TableValues,
): string[] {
  if (env !== 'production') return [];
  const gaps: string[] = [];
  if (adminToken === undefined) {
    gaps.push(`ADMIN_TOKEN is required in production (at least ${MIN_ADMIN_TOKEN_LENGTH} characters)`);
  }
  if (isHttpUrl(issuer) && new URL(issuer).protocol === 'http:') {
    gaps.push(`ISSUER must use https in production, got '${issuer}'`);
  }
  if (read('KEY_ENCRYPTION_KEY') === undefined) {
    gaps.push('KEY_ENCRYPTION_KEY is required in production (32 bytes as 64 hex characters or base64)');
  }
  return gaps;
}

/** The SQLite file's folder; with PostgreSQL, `data/` under the folder the server starts in. */
function dataDir(database: DatabaseLocation | undefined, cwd: string): string {
  return database?.kind === 'sqlite' ? resolve(database.path, '..') : resolve(cwd, 'data');
}
