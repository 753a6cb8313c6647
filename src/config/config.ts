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

  if (environment === 'production') {
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
