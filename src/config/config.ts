import { availableParallelism } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from '../domain/signing-algorithms.js';
import {
  MAX_TOKEN_LIFETIME,
  MIN_API_TOKEN_LIFETIME,
  MIN_CUSTOMER_TOKEN_LIFETIME,
} from '../domain/token-lifetimes.js';

export type Environment = 'sandbox' | 'production';
export type DatabaseLocation = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The whole configuration, read once from the environment and frozen. */
export interface Config {
  /** LEAN_AUTH_ENV: `sandbox` (default, zero-config) or `production` (refuses insecure settings). */
  readonly env: Environment;
  /** PORT: TCP port of the HTTP server. Default 8080. */
  readonly port: number;
  /** HOST: address to listen on. Default 127.0.0.1; use 0.0.0.0 in a container. */
  readonly host: string;
  /** ISSUER: the `iss` of every token and the base of the metadata URLs. Default http://localhost:$PORT. */
  readonly issuer: string;
  /** TOKEN_AUDIENCE: the `aud` of every token. Default: the issuer. */
  readonly tokenAudience: string;
  /** DATABASE_URL: `sqlite:<path>` (default `sqlite:data/lean-auth.db`) or `postgres://…`. */
  readonly database: DatabaseLocation;
  /** KEY_ENCRYPTION_KEY: 32 bytes (64 hex characters or base64) that encrypt signing keys at rest. */
  readonly keyEncryptionKey: Buffer | undefined;
  /** Where a sandbox keeps what it generates for itself (the key encryption key): the SQLite file's folder. */
  readonly dataDir: string;
  /** SIGNING_ALG: RS256 (default), PS256, ES256 or EdDSA. */
  readonly signingAlg: SigningAlgorithm;
  /** API_TOKEN_TTL: lifetime of `scope=api` tokens in seconds. Default 3600. */
  readonly apiTokenTtl: number;
  /** CUSTOMER_TOKEN_TTL: lifetime of customer tokens in seconds, at least 600. Default 3600. */
  readonly customerTokenTtl: number;
  /** LOG_LEVEL: pino level. Default info. */
  readonly logLevel: LogLevel;
  /** ADMIN_TOKEN: the bearer token of the admin API, at least 32 characters. Sandbox: generated. */
  readonly adminToken: string | undefined;
  /** ADMIN_PORT: serve the admin API on this port only (not on PORT). Default: on PORT. */
  readonly adminPort: number | undefined;
  /** SECRET_ROTATION_GRACE: seconds a rotated-out client secret keeps working. Default 86400. */
  readonly secretRotationGraceSeconds: number;
  /** KEY_ROTATION_INTERVAL: how long a signing key signs before the next one is published. Default 30d; 0 = never. */
  readonly keyRotationIntervalMs: number;
  /** REDIS_URL: share the brute-force throttling counters of all instances in this Redis. Default: none (in memory). */
  readonly redisUrl: string | undefined;
  /**
   * TRUST_PROXY: whose X-Forwarded-For to believe for the caller's address (throttling, audit):
   * `true` (any), or the proxies' addresses/CIDRs separated by commas. Default: none.
   */
  readonly trustProxy: boolean | string | undefined;
  /** CACHE_STALE_TTL: seconds cached applications keep getting tokens while the database is out of reach. Default 300. */
  readonly cacheStaleTtlSeconds: number;
  /** WORKERS: server processes on this machine (node:cluster); `auto` = one per CPU. Default 1: no cluster. */
  readonly workers: number;
  /** TLS_CERT_FILE and TLS_KEY_FILE: PEM files; with both set the server speaks HTTPS itself. */
  readonly tls: { readonly certFile: string; readonly keyFile: string } | undefined;
}

/** The admin token must be long enough that guessing it is hopeless. */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

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

  const environment = oneOf(read('LEAN_AUTH_ENV') ?? 'sandbox', ['sandbox', 'production'] as const);
  if (!environment)
    problems.push(`LEAN_AUTH_ENV must be 'sandbox' or 'production', got '${read('LEAN_AUTH_ENV')}'`);

  const port = integer('PORT', read('PORT'), 8080, 0, 65535, problems);
  const host = read('HOST') ?? '127.0.0.1';
  const issuer = (read('ISSUER') ?? `http://localhost:${port}`).replace(/\/+$/, '');
  if (!isHttpUrl(issuer))
    problems.push(`ISSUER must be an http(s) URL without query or fragment, got '${issuer}'`);

  const database = parseDatabaseUrl(read('DATABASE_URL') ?? 'sqlite:data/lean-auth.db', cwd, problems);
  const keyEncryptionKey = parseKeyEncryptionKey(read('KEY_ENCRYPTION_KEY'), problems);

  const signingAlg = oneOf(read('SIGNING_ALG') ?? 'RS256', SIGNING_ALGORITHMS);
  if (!signingAlg) {
    problems.push(
      `SIGNING_ALG must be one of ${SIGNING_ALGORITHMS.join(', ')}, got '${read('SIGNING_ALG')}'`,
    );
  }

  const apiTokenTtl = integer(
    'API_TOKEN_TTL',
    read('API_TOKEN_TTL'),
    3600,
    MIN_API_TOKEN_LIFETIME,
    MAX_TOKEN_LIFETIME,
    problems,
  );
  const customerTokenTtl = integer(
    'CUSTOMER_TOKEN_TTL',
    read('CUSTOMER_TOKEN_TTL'),
    3600,
    MIN_CUSTOMER_TOKEN_LIFETIME,
    MAX_TOKEN_LIFETIME,
    problems,
    `the LinkSDK refuses a customer token with less than ${MIN_CUSTOMER_TOKEN_LIFETIME} seconds of validity left`,
  );

  const logLevel = oneOf(read('LOG_LEVEL') ?? 'info', LOG_LEVELS);
  if (!logLevel)
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got '${read('LOG_LEVEL')}'`);

  const adminToken = read('ADMIN_TOKEN');
  if (adminToken !== undefined && adminToken.length < MIN_ADMIN_TOKEN_LENGTH) {
    problems.push(`ADMIN_TOKEN must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters (openssl rand -hex 32)`);
  }
  const rawAdminPort = read('ADMIN_PORT');
  const adminPort =
    rawAdminPort === undefined ? undefined : integer('ADMIN_PORT', rawAdminPort, 0, 0, 65535, problems);
  if (adminPort !== undefined && adminPort !== 0 && adminPort === port) {
    problems.push('ADMIN_PORT must differ from PORT (leave it unset to serve the admin API on PORT)');
  }
  const secretRotationGraceSeconds = integer(
    'SECRET_ROTATION_GRACE',
    read('SECRET_ROTATION_GRACE'),
    86_400,
    0,
    7 * 86_400,
    problems,
  );
  const keyRotationIntervalMs = duration(
    'KEY_ROTATION_INTERVAL',
    read('KEY_ROTATION_INTERVAL'),
    30 * 86_400_000,
    problems,
  );

  const redisUrl = read('REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:\/\/./.test(redisUrl)) {
    problems.push(`REDIS_URL must start with redis:// or rediss://, got '${redactUrl(redisUrl)}'`);
  }
  const trustProxy = parseTrustProxy(read('TRUST_PROXY'));
  const certFile = read('TLS_CERT_FILE');
  const keyFile = read('TLS_KEY_FILE');
  if ((certFile === undefined) !== (keyFile === undefined)) {
    problems.push('TLS_CERT_FILE and TLS_KEY_FILE go together: set both for HTTPS, or neither');
  }
  const workers = parseWorkers(read('WORKERS'), problems);
  const cacheStaleTtlSeconds = integer('CACHE_STALE_TTL', read('CACHE_STALE_TTL'), 300, 0, 86_400, problems);

  if (environment === 'production') {
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
    dataDir: database?.kind === 'sqlite' ? resolveDir(database.path) : resolve(cwd, 'data'),
    signingAlg: signingAlg as SigningAlgorithm,
    apiTokenTtl,
    customerTokenTtl,
    logLevel: logLevel as LogLevel,
    adminToken,
    adminPort,
    secretRotationGraceSeconds,
    keyRotationIntervalMs,
    redisUrl,
    trustProxy,
    cacheStaleTtlSeconds,
    workers,
    tls:
      certFile && keyFile ? { certFile: resolve(cwd, certFile), keyFile: resolve(cwd, keyFile) } : undefined,
  });
}

function oneOf<T extends string>(value: string, allowed: readonly T[]): T | undefined {
  return (allowed as readonly string[]).includes(value) ? (value as T) : undefined;
}

function integer(
  name: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
  problems: string[],
  why?: string,
): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    problems.push(
      `${name} must be a whole number from ${min} to ${max}, got '${raw}'${why ? ` (${why})` : ''}`,
    );
    return fallback;
  }
  return value;
}

const DURATION_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration such as `30d`, `12h`, `90m`, `3600s` or plain seconds; 0 means never. */
function duration(name: string, raw: string | undefined, fallback: number, problems: string[]): number {
  if (raw === undefined) return fallback;
  const match = /^(\d+)([smhd]?)$/.exec(raw);
  const ms = match ? Number(match[1]) * (DURATION_UNITS[match[2] || 's'] ?? 1000) : Number.NaN;
  if (!Number.isSafeInteger(ms) || (ms > 0 && ms < 3_600_000)) {
    problems.push(
      `${name} must be 0 (never) or a duration of at least 1h such as 30d, 12h or 3600s, got '${raw}'`,
    );
    return fallback;
  }
  return ms;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && !url.search && !url.hash;
  } catch {
    return false;
  }
}

function parseDatabaseUrl(raw: string, cwd: string, problems: string[]): DatabaseLocation | undefined {
  if (raw.startsWith('sqlite:')) {
    const path = raw.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') {
      problems.push(`DATABASE_URL 'sqlite:' needs a file path, as in sqlite:data/lean-auth.db`);
      return undefined;
    }
    return { kind: 'sqlite', path: isAbsolute(path) ? path : resolve(cwd, path) };
  }
  if (/^postgres(ql)?:\/\//.test(raw)) {
    try {
      new URL(raw);
      return { kind: 'postgres', url: raw };
    } catch {
      problems.push('DATABASE_URL is not a valid postgres:// URL');
      return undefined;
    }
  }
  problems.push(`DATABASE_URL must start with 'sqlite:' or 'postgres://', got '${redactUrl(raw)}'`);
  return undefined;
}

function parseTrustProxy(raw: string | undefined): boolean | string | undefined {
  if (raw === undefined || raw === 'false') return undefined;
  return raw === 'true' ? true : raw;
}

/** The most worker processes WORKERS may ask for: far more than any machine has CPUs. */
const MAX_WORKERS = 256;

function parseWorkers(raw: string | undefined, problems: string[]): number {
  if (raw === undefined) return 1;
  if (raw === 'auto') return availableParallelism();
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > MAX_WORKERS) {
    problems.push(`WORKERS must be 'auto' or a whole number from 1 to ${MAX_WORKERS}, got '${raw}'`);
    return 1;
  }
  return value;
}

/** A database URL without its password, fit for an error message. */
function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

function parseKeyEncryptionKey(raw: string | undefined, problems: string[]): Buffer | undefined {
  if (raw === undefined) return undefined;
  const bytes = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  if (bytes.length !== 32) {
    problems.push('KEY_ENCRYPTION_KEY must be 32 bytes, written as 64 hex characters or as base64');
    return undefined;
  }
  return bytes;
}

function resolveDir(file: string): string {
  return resolve(file, '..');
}
