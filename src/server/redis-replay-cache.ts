import { Redis } from 'ioredis';
import { MemoryReplayCache, type ReplayCache } from '../domain/replay-cache.js';

/**
 * Single-use identifiers shared by every instance through Redis (REDIS_URL, keys under
 * REDIS_PREFIX): an assertion replayed to another instance is refused there too. This instance's
 * memory answers first, so a replay to the same instance costs no round trip; while Redis is away
 * (commands fail fast, no offline queue), memory alone answers: each instance then catches the
 * replays it sees.
 */
export function redisReplayCache(
  url: string,
  prefix: string,
  now: () => number,
): ReplayCache & { close(): Promise<void> } {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 500,
  });
  redis.on('error', () => {});
  const local = new MemoryReplayCache(now);
  return {
    async firstUse(key, expiresAt) {
      if (!(await local.firstUse(key, expiresAt))) return false;
      const ttl = Math.max(1, expiresAt - now());
      try {
        return (await redis.set(`${prefix}jti:${key}`, '1', 'PX', ttl, 'NX')) === 'OK';
      } catch {
        return true;
      }
    },
    async close() {
      redis.disconnect();
    },
  };
}
