import { Redis } from 'ioredis';
import type { SharedThrottleCounters } from '../domain/auth-throttle.js';

const PREFIX = 'lean-auth:throttle:';
const CHANNEL = 'lean-auth:throttle-blocks';

/**
 * Throttling counters in Redis (REDIS_URL), shared by every instance. Commands fail fast while Redis
 * is away (no offline queue): each instance then goes on with its own counts.
 */
export function redisThrottleCounters(url: string): SharedThrottleCounters & { close(): Promise<void> } {
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
  subscriber.subscribe(CHANNEL).catch(() => {});
  subscriber.on('message', (_channel: string, message: string) => {
    const [until, key] = [
      Number(message.slice(0, message.indexOf(' '))),
      message.slice(message.indexOf(' ') + 1),
    ];
    if (Number.isFinite(until) && key) for (const listener of listeners) listener(key, until);
  });

  return {
    async increment(keys, windowMs) {
      const window = Math.floor(Date.now() / windowMs);
      const multi = redis.multi();
      for (const key of keys) {
        const name = `${PREFIX}${window}:${key}`;
        multi.incr(name).pexpire(name, windowMs * 2);
      }
      const results = (await multi.exec()) ?? [];
      return keys.map((_key, i) => Number(results[i * 2]?.[1] ?? 0));
    },
    async publishBlock(key, until) {
      await redis.publish(CHANNEL, `${until} ${key}`);
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
