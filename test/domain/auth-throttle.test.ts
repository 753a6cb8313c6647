import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AuthThrottle,
  type SharedThrottleCounters,
  THROTTLE_LIMITS,
  THROTTLE_WINDOW_MS,
} from '../../src/domain/auth-throttle.js';
import { FakeClock } from '../helpers/fake-clock.js';

const WINDOW_S = THROTTLE_WINDOW_MS / 1000;
const CLIENT = 'c0ffee00-0000-4000-8000-000000000001';
const OTHER_CLIENT = 'c0ffee00-0000-4000-8000-000000000002';
const ATTACKER = '203.0.113.7';
const REAL = '198.51.100.20';

/** A clock at the start of a throttling window, a few seconds in, so that a whole window lies ahead. */
function windowClock(secondsIn = 5): FakeClock {
  const clock = new FakeClock();
  const start = Math.ceil(clock.now() / THROTTLE_WINDOW_MS) * THROTTLE_WINDOW_MS;
  clock.advance(start - clock.now() + secondsIn * 1000);
  return clock;
}

/** The time left in the current window, in whole seconds as Retry-After says it. */
function secondsLeft(clock: FakeClock): number {
  return Math.ceil((THROTTLE_WINDOW_MS - (clock.now() % THROTTLE_WINDOW_MS)) / 1000);
}

function fail(throttle: AuthThrottle, clientId: string, address: string, times: number): void {
  for (let i = 0; i < times; i++) throttle.failed(clientId, address);
}

/** Lets pending promise callbacks (the shared counters' answers) run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Redis as the throttles see it, in memory: counts per key and window shared by every instance
 * attached to it, and a channel that delivers each published block to every instance.
 */
class FakeSharedHub {
  readonly counts = new Map<string, number>();
  readonly published: { key: string; until: number }[] = [];
  private readonly listeners: ((key: string, until: number) => void)[] = [];
  failing = false;

  constructor(private readonly clock: FakeClock) {}

  /** The counters one instance is given. */
  counters(): SharedThrottleCounters {
    return {
      increment: async (keys, windowMs) => {
        if (this.failing) throw new Error('redis is away');
        const window = Math.floor(this.clock.now() / windowMs);
        return keys.map((key) => {
          const name = `${window}:${key}`;
          const count = (this.counts.get(name) ?? 0) + 1;
          this.counts.set(name, count);
          return count;
        });
      },
      publishBlock: async (key, until) => {
        if (this.failing) throw new Error('redis is away');
        this.published.push({ key, until });
        // Like Redis pub/sub: delivered later, to every subscriber (the publisher too).
        setImmediate(() => {
          for (const listener of this.listeners) listener(key, until);
        });
      },
      onBlock: (listener) => {
        this.listeners.push(listener);
      },
    };
  }
}

describe('AuthThrottle, in one process', () => {
  it('blocks nobody while failures stay under every limit', () => {
    const clock = windowClock();
    const throttle = new AuthThrottle(clock);
    assert.equal(throttle.retryAfter(CLIENT, ATTACKER), 0);
    fail(throttle, CLIENT, ATTACKER, THROTTLE_LIMITS.pair - 1);
    // Unknown client_ids from the same address, each under the pair limit, the address under its own.
    for (let i = 0; i < THROTTLE_LIMITS.address - THROTTLE_LIMITS.pair; i++) {
      throttle.failed(`unknown-${i}`, ATTACKER);
    }
    assert.equal(throttle.retryAfter(CLIENT, ATTACKER), 0);
    assert.equal(throttle.retryAfter(OTHER_CLIENT, ATTACKER), 0);
    assert.equal(throttle.retryAfter(CLIENT, REAL), 0);
  });

  it('refuses an address past the address limit for every client_id, and no other address', () => {
    const clock = windowClock(10);
    const throttle = new AuthThrottle(clock);
    for (let i = 0; i < THROTTLE_LIMITS.address; i++) throttle.failed(`guess-${i}`, ATTACKER);

    const wait = throttle.retryAfter(CLIENT, ATTACKER);
    assert.ok(wait > 0 && wait <= WINDOW_S, `retryAfter ${wait}`);
    assert.equal(wait, secondsLeft(clock), 'refused until the window ends');
    assert.equal(throttle.retryAfter(OTHER_CLIENT, ATTACKER), wait);
    assert.equal(throttle.retryAfter('never-seen', ATTACKER), wait);
    assert.equal(throttle.retryAfter(CLIENT, REAL), 0, 'the real client from another address goes on');
    assert.equal(throttle.retryAfter(CLIENT, '203.0.113.8'), 0, 'a neighbouring address is not refused');
  });

  it('refuses only the (client_id, address) pair past the pair limit', () => {
    const clock = windowClock();
    const throttle = new AuthThrottle(clock);
    fail(throttle, CLIENT, ATTACKER, THROTTLE_LIMITS.pair - 1);
    assert.equal(throttle.retryAfter(CLIENT, ATTACKER), 0, 'still under the limit');
    throttle.failed(CLIENT, ATTACKER);

    const wait = throttle.retryAfter(CLIENT, ATTACKER);
    assert.ok(wait > 0 && wait <= WINDOW_S, `retryAfter ${wait}`);
    assert.equal(throttle.retryAfter(OTHER_CLIENT, ATTACKER), 0, 'the address may still name other clients');
    assert.equal(throttle.retryAfter(CLIENT, REAL), 0, 'the client may still authenticate from elsewhere');
  });

  it('past the client-wide limit refuses at once an address that failed for the client, not a fresh one', () => {
    const clock = windowClock();
    const throttle = new AuthThrottle(clock);
    // A botnet: each address stays under the pair and address limits; together they pass the client's.
    const perAddress = THROTTLE_LIMITS.pair - 1;
    const addresses = Array.from(
      { length: Math.ceil(THROTTLE_LIMITS.client / perAddress) },
      (_, i) => `192.0.2.${i + 1}`,
    );
    const beforeLast = addresses.slice(0, -1);
    for (const address of beforeLast) fail(throttle, CLIENT, address, perAddress);
    assert.ok(beforeLast.length * perAddress < THROTTLE_LIMITS.client);
    for (const address of addresses) assert.equal(throttle.retryAfter(CLIENT, address), 0);

    const last = addresses.at(-1) ?? '';
    fail(throttle, CLIENT, last, perAddress);
    for (const address of addresses) {
      const wait = throttle.retryAfter(CLIENT, address);
      assert.ok(wait > 0 && wait <= WINDOW_S, `${address}: retryAfter ${wait}`);
      assert.equal(throttle.retryAfter(OTHER_CLIENT, address), 0, 'other clients from that address go on');
    }
    assert.equal(throttle.retryAfter(CLIENT, REAL), 0, 'the real client, which has not failed, goes on');

    // A new address of the botnet is refused after its first failure, not after a pair limit's worth.
    const newcomer = '192.0.2.200';
    assert.equal(throttle.retryAfter(CLIENT, newcomer), 0);
    throttle.failed(CLIENT, newcomer);
    assert.ok(throttle.retryAfter(CLIENT, newcomer) > 0);
  });

  it('ends every block with its window, and counts afresh in the next', () => {
    const clock = windowClock(20);
    const throttle = new AuthThrottle(clock);
    fail(throttle, CLIENT, ATTACKER, THROTTLE_LIMITS.pair);
    for (let i = 0; i < THROTTLE_LIMITS.address; i++) throttle.failed(`guess-${i}`, '203.0.113.99');
    assert.equal(throttle.retryAfter(CLIENT, ATTACKER), WINDOW_S - 20);
    assert.equal(throttle.retryAfter(CLIENT, '203.0.113.99'), WINDOW_S - 20);

    clock.advance((WINDOW_S - 20) * 1000 - 1);
    assert.equal(throttle.retryAfter(CLIENT, ATTACKER), 1, 'one millisecond left rounds up to 1 s');
    clock.advance(1);
    assert.equal(throttle.retryAfter(CLIENT, ATTACKER), 0);
    assert.equal(throttle.retryAfter(CLIENT, '203.0.113.99'), 0);

    // The new window starts from zero: one failure does not bring the block back.
    throttle.failed(CLIENT, ATTACKER);
    assert.equal(throttle.retryAfter(CLIENT, ATTACKER), 0);
    fail(throttle, CLIENT, ATTACKER, THROTTLE_LIMITS.pair - 1);
    assert.equal(throttle.retryAfter(CLIENT, ATTACKER), WINDOW_S);
  });

  it('blocks for at most the rest of the window when the limit is reached at its end', () => {
    const clock = windowClock(WINDOW_S - 1);
    const throttle = new AuthThrottle(clock);
    fail(throttle, CLIENT, ATTACKER, THROTTLE_LIMITS.pair);
    assert.equal(throttle.retryAfter(CLIENT, ATTACKER), 1);
    clock.advance(1000);
    assert.equal(throttle.retryAfter(CLIENT, ATTACKER), 0);
  });

  // Found in review: with its counters full, the throttle forgot all of them at once, so that a
  // flood of new keys (random client_ids from many addresses) reset a guesser's count.
  it("keeps a guesser's count through a flood of new keys that fills its memory", () => {
    const clock = windowClock();
    const throttle = new AuthThrottle(clock, undefined, () => {}, 50);
    fail(throttle, CLIENT, ATTACKER, THROTTLE_LIMITS.pair - 1);
    for (let n = 0; n < 500; n++) throttle.failed(`flood-${n}`, `192.0.2.${n % 250}-${n}`);
    assert.equal(throttle.retryAfter(CLIENT, ATTACKER), 0);
    throttle.failed(CLIENT, ATTACKER);
    assert.equal(throttle.retryAfter(CLIENT, ATTACKER), secondsLeft(clock), 'the fifth failure blocks');
  });
});

describe('AuthThrottle, with counters shared by several instances', () => {
  it('blocks on the global count although this instance saw fewer failures', async () => {
    const clock = windowClock();
    const hub = new FakeSharedHub(clock);
    const one = new AuthThrottle(clock, hub.counters());
    const two = new AuthThrottle(clock, hub.counters());

    // The attacker alternates between instances: neither sees the pair limit on its own.
    for (let i = 0; i < THROTTLE_LIMITS.pair; i++) {
      (i % 2 === 0 ? one : two).failed(CLIENT, ATTACKER);
      await settle();
      if (i < THROTTLE_LIMITS.pair - 1) {
        assert.equal(one.retryAfter(CLIENT, ATTACKER), 0, `after ${i + 1} failures`);
        assert.equal(two.retryAfter(CLIENT, ATTACKER), 0, `after ${i + 1} failures`);
      }
    }
    await settle();
    for (const [name, throttle] of [
      ['one', one],
      ['two', two],
    ] as const) {
      const wait = throttle.retryAfter(CLIENT, ATTACKER);
      assert.ok(wait > 0 && wait <= WINDOW_S, `instance ${name}: retryAfter ${wait}`);
      assert.equal(throttle.retryAfter(CLIENT, REAL), 0, `instance ${name}: the real client goes on`);
      assert.equal(throttle.retryAfter(OTHER_CLIENT, ATTACKER), 0);
    }
    assert.equal(hub.published.length, 1, 'the block is published once');
  });

  it('blocks locally as soon as the global count says so, from a single failure here', async () => {
    const clock = windowClock();
    const hub = new FakeSharedHub(clock);
    const elsewhere = new AuthThrottle(clock, hub.counters());
    const throttle = new AuthThrottle(clock, hub.counters());
    // Another instance has seen the address fail up to one short of its limit.
    for (let i = 0; i < THROTTLE_LIMITS.address - 1; i++) elsewhere.failed(`guess-${i}`, ATTACKER);
    await settle();
    assert.equal(throttle.retryAfter(OTHER_CLIENT, ATTACKER), 0);
    throttle.failed(CLIENT, ATTACKER);
    assert.equal(throttle.retryAfter(OTHER_CLIENT, ATTACKER), 0, 'the local count alone blocks nothing');
    await settle();
    assert.ok(throttle.retryAfter(OTHER_CLIENT, ATTACKER) > 0, 'the global count blocks the address');
    assert.equal(throttle.retryAfter(OTHER_CLIENT, REAL), 0);
  });

  it('honours a block another instance published, until it ends', async () => {
    const clock = windowClock(30);
    const hub = new FakeSharedHub(clock);
    const here = new AuthThrottle(clock, hub.counters());
    // The failures go to two other instances in turn, so that the block is reached on the global count.
    const elsewhere = [new AuthThrottle(clock, hub.counters()), new AuthThrottle(clock, hub.counters())];
    for (let i = 0; i < THROTTLE_LIMITS.address; i++) {
      elsewhere[i % 2]?.failed(`guess-${i}`, ATTACKER);
      await settle();
    }
    await settle();
    assert.equal(hub.published.length, 1);
    const wait = here.retryAfter(CLIENT, ATTACKER);
    assert.equal(wait, WINDOW_S - 30, 'refused here without a single failure here');
    assert.equal(here.retryAfter(CLIENT, REAL), 0);
    clock.advance(wait * 1000);
    assert.equal(here.retryAfter(CLIENT, ATTACKER), 0);
  });

  it('publishes a block it reached on its own count too, so that other instances refuse the address', async () => {
    const clock = windowClock();
    const hub = new FakeSharedHub(clock);
    const one = new AuthThrottle(clock, hub.counters());
    const two = new AuthThrottle(clock, hub.counters());
    // Every failure on instance one: its local count reaches the limit as soon as the global one.
    fail(one, CLIENT, ATTACKER, THROTTLE_LIMITS.pair);
    await settle();
    await settle();
    assert.ok(one.retryAfter(CLIENT, ATTACKER) > 0);
    assert.ok(two.retryAfter(CLIENT, ATTACKER) > 0, 'instance two refuses the pair as well');
  });

  it('goes on with its own counts when the shared counters fail, and reports the error', async () => {
    const clock = windowClock();
    const hub = new FakeSharedHub(clock);
    hub.failing = true;
    const errors: unknown[] = [];
    const throttle = new AuthThrottle(clock, hub.counters(), (error) => errors.push(error));
    fail(throttle, CLIENT, ATTACKER, THROTTLE_LIMITS.pair);
    assert.ok(throttle.retryAfter(CLIENT, ATTACKER) > 0, 'the local count still blocks');
    await settle();
    assert.ok(errors.length >= THROTTLE_LIMITS.pair, 'each failed increment is reported');
    assert.ok(errors.every((error) => error instanceof Error && /redis is away/.test(error.message)));
  });
});
