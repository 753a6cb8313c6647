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
      'start together. As a flag (`--database-url`, and `--redis-url` likewise) a URL with a password in',
      'it is refused: any user of the machine can read a command line. Set the variable instead.',
      '- `sqlite:<path>`: a SQLite file, relative to the folder the server starts in, or absolute',
      '  (`sqlite:/var/lib/lean-auth/lean-auth.db`). The file (mode 0600) and its folder (0700) are',
      '  created; a folder that cannot be made is refused at start. For one machine: the server and the',
      '  CLI may share the file.',
      '- `postgres://user:password@host:5432/database` (or `postgresql://`): PostgreSQL, for several',
      '  instances. `?schema=NAME` (a lower-case SQL identifier) keeps the tables, and the migration',
      '  bookkeeping, in a schema of their own, created if missing; several deployments can then share',
      '  one database. Without it they are in the first existing schema of the `search_path` (normally',
      '  `public`). See [PostgreSQL](operations.md#postgresql-schemas-and-connection-errors).',
    ],
    // Undefined only with a problem recorded, which stops loadConfig.
    parse: (raw = 'sqlite:data/lean-auth.db', { problems, cwd }) =>
      parseDatabaseUrl(raw, cwd, problems) as DatabaseLocation,
  }),
  setting({
    name: 'KEY_ENCRYPTION_KEY',
    key: 'keyEncryptionKey',
    flag: null,
    unset: 'a sandbox generates and keeps one, see `LEAN_AUTH_ENV`; required in production',
    section: 'Storage',
    description: [
      '32 bytes, written as 64 hex characters, or as the 43 characters (and an optional `=`) of base64 or',
      'base64url (`openssl rand -hex 32`). Decoded strictly: a character outside the alphabet, a space,',
      'extra padding or stray bits are refused; in production a key that is one byte repeated (all zeros,',
      'say) is refused as a placeholder. It seals the private signing keys at rest (AES-256-GCM). The',
      '`apps` and `customers` commands never need it.',
      'Changing it is a procedure: [rotating KEY_ENCRYPTION_KEY](operations.md#rotating-key_encryption_key).',
    ],
    parse: (raw, { problems, earlier }) => parseKeyEncryptionKey(raw, earlier.env === 'production', problems),
  }),
  setting({
    name: 'CACHE_STALE_TTL',
    key: 'cacheStaleTtlSeconds',
    flag: '--cache-stale-ttl',
    default: '5m',
    section: 'Storage',
    description: [
      "How long cached applications and customers keep getting tokens after the database's change",
      'notices stop arriving (PostgreSQL out of reach), a [duration](#durations) from `0` to `1d`; after',
      'that the token endpoint answers `503`. See [outages](operations.md#when-something-fails).',
    ],
    parse: (raw, { problems }) =>
      duration('CACHE_STALE_TTL', raw, { fallback: 300, min: 0, max: 86_400 }, problems),
  }),
  setting({
    name: 'ADMIN_TOKEN',
    key: 'adminToken',
    flag: null,
    unset: 'a sandbox generates and keeps one, see `LEAN_AUTH_ENV`; required in production',
    section: 'Admin',
    description: [
      'The bearer token of the admin API (`openssl rand -hex 32`). At least 32 characters and no',
      'whitespace inside, in every mode; in production also an estimated entropy of at least 128 bits,',
      'so `aaaa…` or a repeated word are refused (see [security](security.md#admin_token-and-key_encryption_key)).',
      'The token is never repeated in the message.',
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
      'Audit events older than this many days are deleted in the background; `0` keeps them for ever;',
      'at most 36500. Each long-running server process trims the log a minute after it starts and then',
      'every hour, 1,000 events per statement with a pause between statements, so a long backlog never',
      'holds the database. Every instance may do it at once: an event another instance deleted is',
      'simply not there. Tombstones of deleted ids are not audit events and are kept.',
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
    unset: 'counters in memory, shared by the workers of one instance through its primary',
    section: 'Scale-out',
    description: [
      '`redis://host:6379` or `rediss://…` (anything else is refused at start). The',
      "[failure throttle](security.md#the-failure-throttle)'s counters and blocks are shared by every",
      'instance through this Redis. While it is out of reach, each instance counts on its own.',
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
    unset: '`lean-auth:<ISSUER>:`, for example `lean-auth:https://auth.example.com:`',
    section: 'Scale-out',
    description: [
      "The start of every Redis key and channel lean-auth uses (the throttle's counters and its channel",
      'of blocks), so that deployments sharing a Redis (production and the sandboxes, each with its own',
      'issuer) share no counts or blocks. Set it when two deployments share an issuer and a Redis but',
      'must count apart. At most 200 printable ASCII characters without spaces; anything else is',
      'refused at start.',
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
