import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { AuthThrottle, THROTTLE_LIMITS, THROTTLE_WINDOW_MS } from '../../src/domain/auth-throttle.js';
import { systemClock } from '../../src/domain/clock.js';
import { redisThrottleCounters } from '../../src/server/redis-throttle-counters.js';
import { skipWithoutRedis, testRedisUrl } from '../helpers/redis.js';
import { waitFor } from '../helpers/waiting.js';

const skip = await skipWithoutRedis();
const CLIENT = 'c0ffee00-0000-4000-8000-00000000000a';
/** Time for a message to cross Redis pub/sub and back on loopback, with room to spare. */
const PROPAGATION_MS = 2_000;

async function withTimeout(promise: Promise<unknown>, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), PROPAGATION_MS);
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('throttling counters in a Redis shared by two deployments (REDIS_PREFIX)', { skip }, () => {
  const run = randomBytes(4).toString('hex');
  const prefixA = `lean-auth:test-a-${run}:`;
  const prefixB = `lean-auth:test-b-${run}:`;
  const counters = [
    redisThrottleCounters(testRedisUrl(), prefixA),
    redisThrottleCounters(testRedisUrl(), prefixA),
    redisThrottleCounters(testRedisUrl(), prefixB),
  ];
  const errors: unknown[] = [];
  const [a1, a2, b1] = counters.map(
    (shared) => new AuthThrottle(systemClock, { shared, onError: (error) => errors.push(error) }),
  ) as [AuthThrottle, AuthThrottle, AuthThrottle];
  const raw = new Redis(testRedisUrl(), { lazyConnect: true });

  /** An address of this run's own. */
  const address = () => {
    const [x, y, z] = randomBytes(3);
    return `10.${x}.${y}.${(z ?? 0) % 250}`;
  };

  /**
   * Resolves when the instance on `shared` has heard of a block whose key names `name`: its
   * throttle subscribed first, so by then the throttle took it (or ignored it).
   */
  const blockHeard = (shared: (typeof counters)[number], name: string) =>
    new Promise<void>((resolve) => {
      shared.onBlock((key) => {
        if (key.includes(name)) resolve();
      });
    });

  before(async () => {
    await raw.connect();
    // The subscriptions are made as the counters connect: wait until both channels have theirs.
    await waitFor(
      async () => {
        const numbers = (await raw.pubsub(
          'NUMSUB',
          `${prefixA}throttle-blocks`,
          `${prefixB}throttle-blocks`,
        )) as (string | number)[];
        return Number(numbers[1]) === 2 && Number(numbers[3]) === 1;
      },
      5_000,
      'the counters to subscribe',
    );
    // Far from the end of a window: the counts of one test must not start over in its middle.
    const left = THROTTLE_WINDOW_MS - (Date.now() % THROTTLE_WINDOW_MS);
    if (left < 10_000) await new Promise((resolve) => setTimeout(resolve, left + 100));
  });

  after(async () => {
    for (const shared of counters) await shared.close();
    const keys = [...(await raw.keys(`${prefixA}*`)), ...(await raw.keys(`${prefixB}*`))];
    if (keys.length > 0) await raw.del(...keys);
    raw.disconnect();
  });

  it('counts and blocks within one prefix, across its instances, and never across prefixes', async () => {
    const attacker = address();
    const heard = [blockHeard(counters[0], attacker), blockHeard(counters[1], attacker)];
    for (let i = 0; i < THROTTLE_LIMITS.pair; i++) {
      assert.equal((i % 2 === 0 ? a1 : a2).failed(CLIENT, attacker), 0);
      // One at a time, as requests on different instances would be.
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await withTimeout(Promise.all(heard), 'both instances to hear the block');
    assert.ok(a1.failed(CLIENT, attacker) > 0, 'instance a1 refuses');
    assert.ok(a2.failed(CLIENT, attacker) > 0, 'instance a2 refuses');
    assert.ok((await raw.keys(`${prefixA}throttle:*${attacker}*`)).length > 0, 'counted under prefix A');

    // Deployment B heard nothing, and counts from zero: its first failures are answered as usual.
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (let i = 0; i < THROTTLE_LIMITS.pair; i++) assert.equal(b1.failed(CLIENT, attacker), 0);
    assert.deepEqual(errors, []);
  });

  it('takes a well-formed block from its channel, and ignores a forged or malformed one', async () => {
    const victim = address();
    const channel = `${prefixA}throttle-blocks`;
    const now = Date.now();
    for (const message of [
      `${now + 24 * 3600_000} client:a:${victim}`, // a day: longer than any block we make
      `${now - 1000} client:a:${victim}`, // over
      `never client:a:${victim}`,
      `${now + 30_000} a:${victim}`, // not a key of ours
      `${now + 30_000} client:a:${victim}\u0007`,
      `${now + 30_000}`,
      `${now + 30_000} admin:a:${victim}`, // the admin API's, not the clients'
    ]) {
      await raw.publish(channel, message);
    }
    await raw.publish(`${prefixB}throttle-blocks`, `${now + 30_000} client:a:${victim}`);
    // A well-formed block, published last: once it is taken, everything before it was handled.
    const marker = address();
    const heard = blockHeard(counters[0], marker);
    await raw.publish(channel, `${now + 30_000} client:a:${marker}`);
    await withTimeout(heard, 'the well-formed block');
    assert.equal(a1.failed(CLIENT, victim), 0, 'no forged or malformed block was taken');
    const wait = a1.failed(CLIENT, marker);
    assert.ok(wait > 0 && wait <= 30, `${wait} s`);
  });
});
