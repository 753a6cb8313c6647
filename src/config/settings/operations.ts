import { type DatabaseLocation, parseDatabaseUrl, redactUrl } from '../database-url.js';
import { duration, integer, parseWorkers } from '../numbers.js';
import { checkAdminToken, parseKeyEncryptionKey } from '../secrets.js';
import { oneOf, setting } from '../setting.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Where the data lives, how the server is administered, and how instances share their work. */
export const OPERATION_SETTINGS = [
  setting({
    name: 'DATABASE_URL',
    key: 'database',
    flag: '--database-url',
    default: 'sqlite:data/lean-auth.db',
    section: 'Storage',
    description: [
      'Where the data lives. The schema is migrated on every start, under a lock, so instances may',
      'start together.',
      '- `sqlite:<path>`: a SQLite file, relative to the folder the server starts in, or absolute',
      '  (`sqlite:/var/lib/lean-auth/lean-auth.db`). The file and its folder are created. For one',
      '  machine: the server and the CLI may share the file.',
      '- `postgres://user:password@host:5432/database` (or `postgresql://`): PostgreSQL, for several',
      '  instances. `?schema=NAME` (a lower-case SQL identifier) keeps the tables, and the migration',
      '  bookkeeping, in a schema of their own, created if missing; several deployments can then share',
      '  one database.',
    ],
    // Undefined only with a problem recorded, which stops loadConfig.
    parse: (raw = 'sqlite:data/lean-auth.db', { problems, cwd }) =>
      parseDatabaseUrl(raw, cwd, problems) as DatabaseLocation,
  }),
  setting({
    name: 'KEY_ENCRYPTION_KEY',
    key: 'keyEncryptionKey',
    flag: null,
    unset: 'generated into the data folder in a sandbox; required in production',
    section: 'Storage',
    description: [
      '32 bytes, written as 64 hex characters or as base64 (`openssl rand -hex 32`). It seals the',
      'private signing keys at rest (AES-256-GCM). The `apps` and `customers` commands never need it.',
      'Changing it is a procedure: [rotating KEY_ENCRYPTION_KEY](operations.md#rotating-key_encryption_key).',
    ],
    parse: (raw, { problems, earlier }) => parseKeyEncryptionKey(raw, earlier.env === 'production', problems),
  }),
  setting({
    name: 'CACHE_STALE_TTL',
    key: 'cacheStaleTtlSeconds',
    flag: '--cache-stale-ttl',
    default: '300',
    section: 'Storage',
    description: [
      "How long cached applications and customers keep getting tokens after the database's change",
      'notices stop arriving (PostgreSQL out of reach), a duration from 0 to 1 day; after that the token',
      'endpoint answers `503`. See [outages](operations.md#when-something-fails).',
    ],
    parse: (raw, { problems }) =>
      duration('CACHE_STALE_TTL', raw, { fallback: 300, min: 0, max: 86_400 }, problems),
  }),
  setting({
    name: 'ADMIN_TOKEN',
    key: 'adminToken',
    flag: null,
    unset: 'generated into `admin-token` in the data folder in a sandbox; required in production',
    section: 'Admin',
    description: [
      'The bearer token of the admin API, at least 32 characters without whitespace',
      '(`openssl rand -hex 32`); in production, one that is not guessable (at least 128 bits by estimate).',
    ],
    parse: (raw, { problems, earlier }) => {
      if (raw !== undefined) checkAdminToken(raw, earlier.env === 'production', problems);
      return raw;
    },
  }),
  setting({
    name: 'LOG_LEVEL',
    key: 'logLevel',
    flag: '--log-level',
    default: 'info',
    section: 'Admin',
    description: [
      '`fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`. At `info` every request writes',
      'one access-log line (JSON, on standard output).',
    ],
    parse: (raw = 'info', { problems }): LogLevel => {
      if (oneOf(raw, LOG_LEVELS)) return raw;
      problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got '${raw}'`);
      return 'info';
    },
  }),
  setting({
    name: 'AUDIT_RETENTION_DAYS',
    key: 'auditRetentionDays',
    flag: '--audit-retention-days',
    default: '400',
    section: 'Admin',
    description: [
      'Audit events older than this many days are deleted in the background (hourly, 1,000 at a time);',
      '`0` keeps them for ever. At most 36500.',
    ],
    parse: (raw, { problems }) =>
      integer('AUDIT_RETENTION_DAYS', raw, { fallback: 400, min: 0, max: 36_500 }, problems),
  }),
  setting({
    name: 'WORKERS',
    key: 'workers',
    flag: '--workers',
    default: '1',
    section: 'Scale-out',
    description: [
      'Server processes on this machine, from 1 to 256, or `auto` for one per CPU. With more than one,',
      'a primary process does the start-up work once, then runs that many workers on the same port',
      '(node:cluster). See [workers](operations.md#workers-on-one-machine).',
    ],
    parse: (raw, { problems }) => parseWorkers(raw, problems),
  }),
  setting({
    name: 'REDIS_URL',
    key: 'redisUrl',
    flag: '--redis-url',
    unset: "counters in each process's memory",
    section: 'Scale-out',
    description: [
      '`redis://host:6379` or `rediss://…`. The brute-force throttling counters and refusals are shared',
      'by every instance through this Redis. While it is out of reach, each instance counts on its own.',
    ],
    parse: (raw, { problems }) => {
      if (raw !== undefined && !/^rediss?:\/\/./.test(raw)) {
        problems.push(`REDIS_URL must start with redis:// or rediss://, got '${redactUrl(raw)}'`);
      }
      return raw;
    },
  }),
  setting({
    name: 'REDIS_PREFIX',
    key: 'redisPrefix',
    flag: '--redis-prefix',
    unset: '`lean-auth:<ISSUER>:`',
    section: 'Scale-out',
    description: [
      'The start of every Redis key and channel, so that deployments sharing a Redis share no',
      'throttling counts or blocks. At most 200 printable ASCII characters without spaces.',
    ],
    parse: (raw, { problems, earlier }) => {
      if (raw !== undefined && !/^[!-~]{1,200}$/.test(raw)) {
        problems.push(
          `REDIS_PREFIX must be at most 200 printable ASCII characters without spaces, got '${raw.slice(0, 60)}'`,
        );
      }
      return raw ?? `lean-auth:${earlier.issuer}:`;
    },
  }),
] as const;
