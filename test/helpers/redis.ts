import { Redis } from 'ioredis';

/** The Redis server the tests use (REDIS_URL of the servers they start). */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** The Redis database the tests keep their keys in, away from database 0. */
export const TEST_REDIS_DB = 11;

/** TEST_REDIS_URL, pointed at the tests' own database. */
export function testRedisUrl(): string {
  const url = new URL(TEST_REDIS_URL);
  url.pathname = `/${TEST_REDIS_DB}`;
  return url.toString();
}

function connect(url: string): Redis {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  return redis;
}

let available: Promise<boolean> | undefined;

/** Whether the test Redis answers (asked once per process). */
export function redisAvailable(): Promise<boolean> {
  available ??= (async () => {
    const redis = connect(testRedisUrl());
    try {
      await redis.connect();
      return (await redis.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      redis.disconnect();
    }
  })();
  return available;
}

/**
 * The node:test `skip` option for suites that need Redis: false when it answers; a reason when it
 * does not, on a newcomer's machine. In CI (CI=true) a missing service is a failure instead.
 */
export async function skipWithoutRedis(): Promise<string | false> {
  if (await redisAvailable()) return false;
  if (process.env.CI) throw new Error(`Redis is required in CI but does not answer at ${TEST_REDIS_URL}`);
  const reason = `Redis does not answer at ${TEST_REDIS_URL} (start it, or set TEST_REDIS_URL)`;
  process.stderr.write(`skipping Redis suite: ${reason}\n`);
  return reason;
}

/** The throttling counters in the tests' Redis database whose names mention `token` (any REDIS_PREFIX). */
export async function throttleKeys(token: string): Promise<string[]> {
  const redis = connect(testRedisUrl());
  try {
    await redis.connect();
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(
        cursor,
        'MATCH',
        `lean-auth:*throttle:*${token}*`,
        'COUNT',
        1000,
      );
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    return keys;
  } finally {
    redis.disconnect();
  }
}

/** Deletes the throttling counters that mention any of `tokens` (the addresses and ids a test used). */
export async function deleteThrottleKeys(tokens: readonly string[]): Promise<void> {
  const keys = new Set<string>();
  for (const token of tokens) for (const key of await throttleKeys(token)) keys.add(key);
  if (keys.size === 0) return;
  const redis = connect(testRedisUrl());
  try {
    await redis.connect();
    await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}
