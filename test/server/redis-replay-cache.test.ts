import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { MemoryReplayCache } from '../../src/domain/replay-cache.js';
import { redisReplayCache } from '../../src/server/redis-replay-cache.js';
import { skipWithoutRedis, testRedisUrl } from '../helpers/redis.js';
import { waitFor } from '../helpers/waiting.js';

describe('MemoryReplayCache', () => {
  it('answers true once per key until it expires', async () => {
    let now = 1_000;
    const cache = new MemoryReplayCache(() => now);
    assert.equal(await cache.firstUse('a', 2_000), true);
    assert.equal(await cache.firstUse('a', 2_000), false);
    assert.equal(await cache.firstUse('b', 2_000), true);
    now = 2_000;
    assert.equal(await cache.firstUse('a', 3_000), true);
  });

  it('sweeps expired keys once it holds many, keeping the live ones', async () => {
    let now = 0;
    const cache = new MemoryReplayCache(() => now);
    for (let i = 0; i < 10_000; i++) await cache.firstUse(`old${i}`, 10);
    await cache.firstUse('live', 1_000);
    now = 20;
    await cache.firstUse('trigger', 1_000);
    assert.equal(await cache.firstUse('live', 1_000), false);
    assert.equal(await cache.firstUse('old1', 1_000), true);
  });
});

describe('redisReplayCache: two instances over one Redis', { skip: await skipWithoutRedis() }, () => {
  const prefix = `lean-auth:test-${randomUUID()}:`;
  const a = redisReplayCache(testRedisUrl(), prefix, Date.now);
  const b = redisReplayCache(testRedisUrl(), prefix, Date.now);
  after(async () => {
    await a.close();
    await b.close();
  });
  // Until both are connected, each answers from its own memory alone (no offline queue).
  before(() =>
    waitFor(
      async () => {
        const probe = `probe:${randomUUID()}`;
        await a.firstUse(probe, Date.now() + 1_000);
        return !(await b.firstUse(probe, Date.now() + 1_000));
      },
      5_000,
      'both instances connected to Redis',
    ),
  );

  it('refuses on the second instance what the first accepted, until it expires', async () => {
    const key = `client:${randomUUID()}`;
    assert.equal(await a.firstUse(key, Date.now() + 200), true);
    assert.equal(await b.firstUse(key, Date.now() + 200), false);
    assert.equal(await a.firstUse(key, Date.now() + 200), false);
    await sleep(300);
    assert.equal(await b.firstUse(key, Date.now() + 200), true);
  });

  it('keeps each jti under REDIS_PREFIX, for its lifetime only', async () => {
    const key = `client:${randomUUID()}`;
    assert.equal(await a.firstUse(key, Date.now() + 5_000), true);
    const raw = new Redis(testRedisUrl());
    try {
      const ttl = await raw.pttl(`${prefix}jti:${key}`);
      assert.ok(ttl > 4_000 && ttl <= 5_000, `pttl ${ttl}`);
    } finally {
      raw.disconnect();
    }
  });
});

describe('redisReplayCache with Redis away', () => {
  it('answers from memory: a replay to the same instance is still refused', async () => {
    const cache = redisReplayCache('redis://127.0.0.1:1/11', 'lean-auth:test:', Date.now);
    try {
      const key = `client:${randomUUID()}`;
      assert.equal(await cache.firstUse(key, Date.now() + 5_000), true);
      assert.equal(await cache.firstUse(key, Date.now() + 5_000), false);
    } finally {
      await cache.close();
    }
  });
});
