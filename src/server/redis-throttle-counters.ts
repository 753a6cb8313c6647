import { Redis } from 'ioredis';
import type { SharedThrottleCounters } from '../domain/auth-throttle.js';

/**
 * Throttling counters in Redis (REDIS_URL), shared by every instance of one deployment: its keys
 * and its channel start with `prefix` (REDIS_PREFIX), so that deployments sharing a Redis share
 * no counts and no blocks. Commands fail fast while Redis is away (no offline queue): each
 * instance then goes on with its own counts. What arrives on the channel is handed on unchecked:
 * the throttle checks every block it is told of.
 */
export function redisThrottleCounters(
  url: string,
  prefix: string,
): SharedThrottleCounters & { close(): Promise<void> } {
  const counterPrefix = `${prefix}throttle:`;
  const channel = `${prefix}throttle-blocks`;
  const options = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    lazyConnect: false,
  };
  const redis = new Redis(url, options);
  const subscriber = new Redis(url, { ...options, enableOfflineQueue: true });
  // Connection errors are retried by ioredis itself; the failing commands report to the caller.
  redis.on('error', () => {});
  subscriber.on('error', () => {});
  const listeners: ((key: string, until: number) => void)[] = [];
  subscriber.subscribe(channel).catch(() => {});
  subscriber.on('message', (from: string, message: string) => {
    const space = message.indexOf(' ');
    if (from !== channel || space === -1) return;
    const until = Number(message.slice(0, space));
    const key = message.slice(space + 1);
    for (const listener of listeners) listener(key, until);
  });

  return {
    async increment(keys, windowMs) {
      const window = Math.floor(Date.now() / windowMs);
      const multi = redis.multi();
      for (const key of keys) {
        const name = `${counterPrefix}${window}:${key}`;
        multi.incr(name).pexpire(name, windowMs * 2);
      }
      const results = (await multi.exec()) ?? [];
      return keys.map((_key, i) => Number(results[i * 2]?.[1] ?? 0));
    },
    async publishBlock(key, until) {
      await redis.publish(channel, `${until} ${key}`);
    },
    onBlock(listener) {
      listeners.push(listener);
    },
    async close() {
      redis.disconnect();
      subscriber.disconnect();
    },
  };
}
