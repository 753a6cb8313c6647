import type { Config } from '../config/config.js';
import type { Clock } from '../domain/clock.js';
import { MemoryReplayCache, type ReplayCache } from '../domain/replay-cache.js';

/**
 * Where used assertion jti are remembered: Redis with REDIS_URL, so that every instance refuses a
 * replay (ioredis loaded only then), else this process's memory.
 */
export async function openReplayCache(
  config: Config,
  clock: Clock,
): Promise<ReplayCache & { close(): Promise<void> }> {
  const now = () => clock.now();
  if (config.redisUrl !== undefined) {
    return (await import('./redis-replay-cache.js')).redisReplayCache(
      config.redisUrl,
      config.redisPrefix,
      now,
    );
  }
  const memory = new MemoryReplayCache(now);
  return { firstUse: (key, expiresAt) => memory.firstUse(key, expiresAt), close: async () => {} };
}
