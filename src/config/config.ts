import { resolve } from 'node:path';
import { type DatabaseLocation, parseDatabaseUrl, redactUrl } from './database-url.js';
import {
  MAX_SECRET_GRACE_SECONDS,
  MAX_TOKEN_LIFETIME,
  MIN_API_TOKEN_LIFETIME,
  MIN_CUSTOMER_TOKEN_LIFETIME,
} from './limits.js';
import { isLoopbackHost, parseListenHost } from './listen-host.js';
import { duration, integer, parseWorkers, rotationInterval } from './numbers.js';
import { checkAdminToken, MIN_ADMIN_TOKEN_LENGTH, parseKeyEncryptionKey } from './secrets.js';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from './signing-algorithms.js';
import { parseTrustProxy, type TrustedProxies } from './trust-proxy.js';

export type { DatabaseLocation } from './database-url.js';
export type { TrustedProxies } from './trust-proxy.js';

type Environment = 'sandbox' | 'production';
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The whole configuration, read once from the environment and frozen. */
export interface Config {
  /** LEAN_AUTH_ENV: `sandbox` (default, zero-config) or `production` (refuses insecure settings). */
  readonly env: Environment;
  /** PORT: TCP port of the HTTP server. Default 8080. */
  readonly port: number;
  /** HOST: address to listen on (an IP or a host name, no port). Default 127.0.0.1; 0.0.0.0 in a container. */
  readonly host: string;
  /** ISSUER: the `iss` of every token and the base of the metadata URLs. Default http://localhost:$PORT. */
  readonly issuer: string;
  /** TOKEN_AUDIENCE: the `aud` of every token. Default: the issuer. */
  readonly tokenAudience: string;
  /** DATABASE_URL: `sqlite:<path>` (default `sqlite:data/lean-auth.db`) or `postgres://…`. */
  readonly database: DatabaseLocation;
  /** KEY_ENCRYPTION_KEY: 32 bytes (64 hex characters, base64 or base64url) that encrypt signing keys at rest. */
  readonly keyEncryptionKey: Buffer | undefined;
  /** Where a sandbox keeps what it generates for itself (the key encryption key): the SQLite file's folder. */
  readonly dataDir: string;
  /** SIGNING_ALG: RS256 (default), PS256, ES256 or EdDSA. */
  readonly signingAlg: SigningAlgorithm;
  /** API_TOKEN_TTL: lifetime of `scope=api` tokens (a duration: 3600, 60m, 1h), in seconds. Default 1h. */
  readonly apiTokenTtl: number;
  /** CUSTOMER_TOKEN_TTL: lifetime of customer tokens (a duration), in seconds, at least 10m. Default 1h. */
  readonly customerTokenTtl: number;
  /** LOG_LEVEL: pino level. Default info. */
  readonly logLevel: LogLevel;
  /**
   * ADMIN_TOKEN: the bearer token of the admin API, at least 32 characters and no whitespace; in
   * production at least 128 bits by estimate (secrets.ts). Sandbox: generated.
   */
  readonly adminToken: string | undefined;
  /** ADMIN_PORT: serve the admin API on this port only (not on PORT). Default: on PORT. */
  readonly adminPort: number | undefined;
  /** SECRET_ROTATION_GRACE: how long (a duration, up to 7d) a rotated-out client secret keeps working, in seconds. Default 1d. */
  readonly secretRotationGraceSeconds: number;
  /** KEY_ROTATION_INTERVAL: how long a signing key signs before the next one is published. Default 30d; 0 = never. */
  readonly keyRotationIntervalMs: number;
  /** REDIS_URL: share the brute-force throttling counters of all instances in this Redis. Default: none (in memory). */
  readonly redisUrl: string | undefined;
  /** REDIS_PREFIX: the start of every Redis key and channel of this deployment. Default `lean-auth:<ISSUER>:`. */
  readonly redisPrefix: string;
  /** AUDIT_RETENTION_DAYS: audit events older than this are deleted in the background; 0 keeps them. Default 400. */
  readonly auditRetentionDays: number;
  /**
   * TRUST_PROXY: the proxies whose X-Forwarded-For gives the caller's address (throttling, audit):
   * their number (`1`), or their addresses/CIDRs separated by commas (`10.0.0.0/8,loopback`).
   * Default: none (X-Forwarded-For is ignored). `true` is refused: it would let callers choose.
   */
  readonly trustProxy: TrustedProxies | undefined;
  /** CACHE_STALE_TTL: how long (a duration) cached applications keep getting tokens while the database is out of reach, in seconds. Default 5m. */
  readonly cacheStaleTtlSeconds: number;
  /** WORKERS: server processes on this machine (node:cluster); `auto` = one per CPU. Default 1: no cluster. */
  readonly workers: number;
  /** TLS_CERT_FILE and TLS_KEY_FILE: PEM files; with both set the server speaks HTTPS itself. */
  readonly tls: { readonly certFile: string; readonly keyFile: string } | undefined;
}

/** Thrown when the environment does not describe a configuration we can run with; lists every problem. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** Every environment variable the configuration reads; the CLI offers each as a --kebab-case flag. */
export const CONFIG_VARIABLES = [
  'LEAN_AUTH_ENV',
  'PORT',
  'HOST',
  'ISSUER',
  'TOKEN_AUDIENCE',
  'DATABASE_URL',
  'KEY_ENCRYPTION_KEY',
  'SIGNING_ALG',
  'API_TOKEN_TTL',
  'CUSTOMER_TOKEN_TTL',
  'LOG_LEVEL',
  'ADMIN_TOKEN',
  'ADMIN_PORT',
  'SECRET_ROTATION_GRACE',
  'KEY_ROTATION_INTERVAL',
  'REDIS_URL',
  'REDIS_PREFIX',
  'AUDIT_RETENTION_DAYS',
  'TRUST_PROXY',
  'CACHE_STALE_TTL',
  'WORKERS',
  'TLS_CERT_FILE',
  'TLS_KEY_FILE',
] as const;

/** Reads and validates the configuration from an environment (process.env by default). */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };

  const chosenEnvironment = read('LEAN_AUTH_ENV');
  const environment = oneOf(chosenEnvironment ?? 'sandbox', ['sandbox', 'production'] as const);
  if (!environment)
    problems.push(`LEAN_AUTH_ENV must be 'sandbox' or 'production', got '${chosenEnvironment}'`);
  const production = environment === 'production';

  const port = integer('PORT', read('PORT'), { fallback: 8080, min: 0, max: 65535 }, problems);
  const host = parseListenHost(read('HOST'), problems);
  const issuer = (read('ISSUER') ?? `http://localhost:${port}`).replace(/\/+$/, '');
  if (!isHttpUrl(issuer))
    problems.push(`ISSUER must be an http(s) URL without query or fragment, got '${issuer}'`);
  if (chosenEnvironment === undefined) problems.push(...unchosenEnvironment(read('HOST'), host, issuer));

  const database = parseDatabaseUrl(read('DATABASE_URL') ?? 'sqlite:data/lean-auth.db', cwd, problems);
  const keyEncryptionKey = parseKeyEncryptionKey(read('KEY_ENCRYPTION_KEY'), production, problems);

  const signingAlg = oneOf(read('SIGNING_ALG') ?? 'RS256', SIGNING_ALGORITHMS);
  if (!signingAlg) {
    problems.push(
      `SIGNING_ALG must be one of ${SIGNING_ALGORITHMS.join(', ')}, got '${read('SIGNING_ALG')}'`,
    );
  }

  const seconds = (name: string, fallback: number, min: number, max: number, why?: string) =>
    duration(name, read(name), { fallback, min, max, why }, problems);
  const apiTokenTtl = seconds('API_TOKEN_TTL', 3600, MIN_API_TOKEN_LIFETIME, MAX_TOKEN_LIFETIME);
  const customerTokenTtl = seconds(
    'CUSTOMER_TOKEN_TTL',
    3600,
    MIN_CUSTOMER_TOKEN_LIFETIME,
    MAX_TOKEN_LIFETIME,
    `the LinkSDK refuses a customer token with less than ${MIN_CUSTOMER_TOKEN_LIFETIME} seconds of validity left`,
  );

  const logLevel = oneOf(read('LOG_LEVEL') ?? 'info', LOG_LEVELS);
  if (!logLevel)
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got '${read('LOG_LEVEL')}'`);

  const adminToken = read('ADMIN_TOKEN');
  if (adminToken !== undefined) checkAdminToken(adminToken, production, problems);
  const rawAdminPort = read('ADMIN_PORT');
  const adminPort =
    rawAdminPort === undefined
      ? undefined
      : integer('ADMIN_PORT', rawAdminPort, { fallback: 0, min: 0, max: 65535 }, problems);
  if (adminPort !== undefined && adminPort !== 0 && adminPort === port) {
    problems.push('ADMIN_PORT must differ from PORT (leave it unset to serve the admin API on PORT)');
  }
  const secretRotationGraceSeconds = seconds('SECRET_ROTATION_GRACE', 86_400, 0, MAX_SECRET_GRACE_SECONDS);
  const keyRotationIntervalMs = rotationInterval(read('KEY_ROTATION_INTERVAL'), problems);

  const redisUrl = read('REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:\/\/./.test(redisUrl)) {
    problems.push(`REDIS_URL must start with redis:// or rediss://, got '${redactUrl(redisUrl)}'`);
  }
  const redisPrefix = read('REDIS_PREFIX');
  if (redisPrefix !== undefined && !/^[!-~]{1,200}$/.test(redisPrefix)) {
    problems.push(
      `REDIS_PREFIX must be at most 200 printable ASCII characters without spaces, got '${redisPrefix.slice(0, 60)}'`,
    );
  }
  const auditRetentionDays = integer(
    'AUDIT_RETENTION_DAYS',
    read('AUDIT_RETENTION_DAYS'),
    { fallback: 400, min: 0, max: 36_500 },
    problems,
  );
  const trustProxy = parseTrustProxy(read('TRUST_PROXY'), problems);
  const certFile = read('TLS_CERT_FILE');
  const keyFile = read('TLS_KEY_FILE');
  if ((certFile === undefined) !== (keyFile === undefined)) {
    problems.push('TLS_CERT_FILE and TLS_KEY_FILE go together: set both for HTTPS, or neither');
  }
  const workers = parseWorkers(read('WORKERS'), problems);
  const cacheStaleTtlSeconds = seconds('CACHE_STALE_TTL', 300, 0, 86_400);

  if (production) {
    if (adminToken === undefined) {
      problems.push(`ADMIN_TOKEN is required in production (at least ${MIN_ADMIN_TOKEN_LENGTH} characters)`);
    }
    if (isHttpUrl(issuer) && new URL(issuer).protocol === 'http:') {
      problems.push(`ISSUER must use https in production, got '${issuer}'`);
    }
    if (!read('KEY_ENCRYPTION_KEY')) {
      problems.push('KEY_ENCRYPTION_KEY is required in production (32 bytes as 64 hex characters or base64)');
    }
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    env: environment as Environment,
    port,
    host,
    issuer,
    tokenAudience: read('TOKEN_AUDIENCE') ?? issuer,
    database: database as DatabaseLocation,
    keyEncryptionKey,
    dataDir: database?.kind === 'sqlite' ? resolve(database.path, '..') : resolve(cwd, 'data'),
    signingAlg: signingAlg as SigningAlgorithm,
    apiTokenTtl,
    customerTokenTtl,
    logLevel: logLevel as LogLevel,
    adminToken,
    adminPort,
    secretRotationGraceSeconds,
    keyRotationIntervalMs,
    redisUrl,
    redisPrefix: redisPrefix ?? `lean-auth:${issuer}:`,
    auditRetentionDays,
    trustProxy,
    cacheStaleTtlSeconds,
    workers,
    tls:
      certFile && keyFile ? { certFile: resolve(cwd, certFile), keyFile: resolve(cwd, keyFile) } : undefined,
  });
}

/**
 * Sandbox is the default for a start on this machine, but a server that others can reach, or one
 * with an https issuer, is likely meant for production: it must say which it is.
 */
function unchosenEnvironment(rawHost: string | undefined, host: string, issuer: string): string[] {
  const reasons = [
    ...(rawHost !== undefined && !isLoopbackHost(host) ? [`HOST=${host} listens beyond this machine`] : []),
    ...(/^https:/i.test(issuer) && isHttpUrl(issuer) ? [`ISSUER=${issuer} is an https address`] : []),
  ];
  if (reasons.length === 0) return [];
  return [
    `LEAN_AUTH_ENV is not set and ${reasons.join(' and ')}: choose LEAN_AUTH_ENV=production ` +
      '(refuses insecure settings) or LEAN_AUTH_ENV=sandbox (generates its own keys and a demo application)',
  ];
}

function oneOf<T extends string>(value: string, allowed: readonly T[]): T | undefined {
  return (allowed as readonly string[]).includes(value) ? (value as T) : undefined;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && !url.search && !url.hash;
  } catch {
    return false;
  }
}
