import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AuthThrottle,
  type SharedThrottleCounters,
  THROTTLE_LIMITS,
  THROTTLE_WINDOW_MS,
} from '../../src/domain/auth-throttle.js';
import { type FakeClock, windowClock } from '../helpers/fake-clock.js';

const WINDOW_S = THROTTLE_WINDOW_MS / 1000;
const CLIENT = 'c0ffee00-0000-4000-8000-000000000001';
const OTHER_CLIENT = 'c0ffee00-0000-4000-8000-000000000002';
const ATTACKER = '203.0.113.7';
const REAL = '198.51.100.20';

/** The time left in the current window, in whole seconds as Retry-After says it. */
function secondsLeft(clock: FakeClock): number {
  return Math.ceil((THROTTLE_WINDOW_MS - (clock.now() % THROTTLE_WINDOW_MS)) / 1000);
}

/** `times` failures; returns what each was answered (0: as usual, else the seconds to wait). */
function fail(throttle: AuthThrottle, clientId: string, address: string, times: number): number[] {
  return Array.from({ length: times }, () => throttle.failed(clientId, address));
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
  readonly incremented: string[][] = [];
  private readonly listeners: ((key: string, until: number) => void)[] = [];
  failing = false;

  constructor(private readonly clock: FakeClock) {}

  /** The counters one instance is given. */
  counters(): SharedThrottleCounters {
    return {
      increment: async (keys, windowMs) => {
        if (this.failing) throw new Error('redis is away');
        this.incremented.push([...keys]);
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
        this.deliver(key, until);
      },
      onBlock: (listener) => {
        this.listeners.push(listener);
      },
    };
  }

  /** Like Redis pub/sub: delivered later, to every subscriber (the publisher too). */
  deliver(key: string, until: number): void {
    this.published.push({ key, until });
    setImmediate(() => {
      for (const listener of this.listeners) listener(key, until);
    });
  }
}

describe('AuthThrottle, in one process', () => {
  it('answers every failure as usual while failures stay under every limit', () => {
    const clock = windowClock();
    const throttle = new AuthThrottle(clock);
    const answers = fail(throttle, CLIENT, ATTACKER, THROTTLE_LIMITS.pair - 1);
    // Unknown client_ids from the same address, each under the pair limit, the address under its own.
    for (let i = 0; i < THROTTLE_LIMITS.address - THROTTLE_LIMITS.pair; i++) {
      answers.push(throttle.failed(`unknown-${i}`, ATTACKER));
    }
    assert.deepEqual(answers, Array(THROTTLE_LIMITS.address - 1).fill(0));
    // The last failure each limit allows is still answered as usual.
    assert.equal(throttle.failed(CLIENT, ATTACKER), 0);
  });

  it('past the address limit, refuses failures from that address whatever they name, and no other address', () => {
    const clock = windowClock(10);
    const throttle = new AuthThrottle(clock);
    for (let i = 0; i < THROTTLE_LIMITS.address; i++)
      assert.equal(throttle.failed(`guess-${i}`, ATTACKER), 0);

    const wait = throttle.failed(CLIENT, ATTACKER);
    assert.equal(wait, secondsLeft(clock), 'refused until the window ends');
    assert.equal(throttle.failed(OTHER_CLIENT, ATTACKER), wait);
    assert.equal(throttle.failed('never-seen', ATTACKER), wait);
    assert.equal(throttle.failed(CLIENT, REAL), 0, 'a failure from another address is answered as usual');
    assert.equal(throttle.failed(CLIENT, '203.0.113.8'), 0, 'a neighbouring IPv4 address is not refused');
  });

  it('past the pair limit, refuses failures naming that client_id from that address only', () => {
    const clock = windowClock();
    const throttle = new AuthThrottle(clock);
    assert.deepEqual(
      fail(throttle, CLIENT, ATTACKER, THROTTLE_LIMITS.pair),
      Array(THROTTLE_LIMITS.pair).fill(0),
    );
    assert.equal(throttle.failed(CLIENT, ATTACKER), secondsLeft(clock));
    assert.equal(throttle.failed(OTHER_CLIENT, ATTACKER), 0, 'the address may still fail for other clients');
    assert.equal(throttle.failed(CLIENT, REAL), 0, 'other addresses may still fail for the client');
  });

  it('counts a client_id across addresses: past the client limit, a fresh address is refused at its first failure', () => {
    const clock = windowClock();
    const throttle = new AuthThrottle(clock);
    // A botnet: each address fails once, far under the pair and address limits.
    const answers = Array.from({ length: THROTTLE_LIMITS.client }, (_, i) =>
      throttle.failed(CLIENT, `192.0.2.${i + 1}`),
    );
    assert.deepEqual(answers, Array(THROTTLE_LIMITS.client).fill(0));
    assert.equal(throttle.failed(CLIENT, '198.18.0.1'), secondsLeft(clock), 'a never-seen address');
    assert.equal(throttle.failed(CLIENT, '2001:db8:77::1'), secondsLeft(clock));
    assert.equal(throttle.failed(OTHER_CLIENT, '192.0.2.1'), 0, 'other client_ids from the botnet: as usual');
  });

  it('groups IPv6 addresses by /64, and reads IPv4-mapped IPv6 as IPv4', () => {
    const clock = windowClock();
    const throttle = new AuthThrottle(clock);
    // An attacker rotating through its /64: every failure a new address, one caller all the same.
    for (let i = 0; i < THROTTLE_LIMITS.address; i++) {
      assert.equal(throttle.failed(`guess-${i}`, `2001:db8:1:2:${i.toString(16)}:ab::${i + 1}`), 0);
    }
    assert.ok(throttle.failed('guess', '2001:0db8:0001:0002:ffff::1') > 0, 'the same /64, written long');
    assert.ok(throttle.failed('guess', '2001:db8:1:2::%eth0') > 0, 'with a zone');
    assert.equal(throttle.failed('guess', '2001:db8:1:3::1'), 0, 'the next /64 is another caller');

    for (let i = 0; i < THROTTLE_LIMITS.pair; i++) throttle.failed(CLIENT, '::ffff:198.51.100.9');
    assert.ok(throttle.failed(CLIENT, '198.51.100.9') > 0, 'IPv4-mapped and plain IPv4: one address');
    assert.ok(throttle.failed(CLIENT, '::FFFF:C633:6409') > 0, 'the mapped address in hex');
    assert.equal(throttle.failed(CLIENT, '198.51.100.10'), 0);
  });

  it('ends every block with its window, and counts afresh in the next', () => {
    const clock = windowClock(20);
    const throttle = new AuthThrottle(clock);
    fail(throttle, CLIENT, ATTACKER, THROTTLE_LIMITS.pair);
    assert.equal(throttle.failed(CLIENT, ATTACKER), WINDOW_S - 20);

    clock.advance((WINDOW_S - 20) * 1000 - 1);
    assert.equal(throttle.failed(CLIENT, ATTACKER), 1, 'one millisecond left rounds up to 1 s');
    clock.advance(1);
    // The new window starts from zero: the refused failures of the last one were not counted.
    assert.deepEqual(
      fail(throttle, CLIENT, ATTACKER, THROTTLE_LIMITS.pair),
      Array(THROTTLE_LIMITS.pair).fill(0),
    );
    assert.equal(throttle.failed(CLIENT, ATTACKER), WINDOW_S);
  });

  it('blocks for at most the rest of the window when the limit is reached at its end', () => {
    const clock = windowClock(WINDOW_S - 1);
    const throttle = new AuthThrottle(clock);
    fail(throttle, CLIENT, ATTACKER, THROTTLE_LIMITS.pair);
    assert.equal(throttle.failed(CLIENT, ATTACKER), 1);
    clock.advance(1000);
    assert.equal(throttle.failed(CLIENT, ATTACKER), 0);
  });

  it('keeps at most maxTracked counters: the least recently used goes first, a caller that keeps failing stays', () => {
    const clock = windowClock();
    // Each failure touches three counters (address, pair, client_id).
    const throttle = new AuthThrottle(clock, { maxTracked: 60 });
    let flood = 0;
    const newcomers = (n: number) => {
      for (let i = 0; i < n; i++, flood++)
        throttle.failed(`flood-${flood}`, `10.9.${flood >> 8}.${flood & 255}`);
    };
    // The guesser fails between bursts of 15 newcomers (45 counters): its own counters stay in use.
    for (let i = 0; i < THROTTLE_LIMITS.pair; i++) {
      assert.equal(throttle.failed(CLIENT, ATTACKER), 0);
      newcomers(15);
    }
    assert.ok(throttle.failed(CLIENT, ATTACKER) > 0, 'its count survived the flood');

    // A caller that stops for longer than the table lasts is forgotten, and counts afresh.
    const other = '203.0.113.50';
    fail(throttle, OTHER_CLIENT, other, THROTTLE_LIMITS.pair - 1);
    newcomers(30);
    // Remembered, its fifth failure would block the sixth; forgotten, these are its first two.
    assert.deepEqual(fail(throttle, OTHER_CLIENT, other, 2), [0, 0], 'forgotten: counted afresh');
  });

  it('cuts what it keeps of a client_id or address of any length or content', () => {
    const clock = windowClock();
    const throttle = new AuthThrottle(clock);
    const long = 'x'.repeat(100_000);
    for (let i = 0; i < THROTTLE_LIMITS.pair; i++) throttle.failed(`${long}${i}`, `${long}\u0000${i}`);
    // Cut alike, these were one pair: refused. (Longer ids are refused before they get here.)
    assert.ok(throttle.failed(`${long}z`, `${long}\u0000z`) > 0);
  });
});

describe('AuthThrottle, with counters shared by several instances', () => {
  it('blocks on the global count although this instance saw fewer failures', async () => {
    const clock = windowClock();
    const hub = new FakeSharedHub(clock);
    const one = new AuthThrottle(clock, { shared: hub.counters() });
    const two = new AuthThrottle(clock, { shared: hub.counters() });

    // The attacker alternates between instances: neither sees the pair limit on its own.
    for (let i = 0; i < THROTTLE_LIMITS.pair; i++) {
      assert.equal((i % 2 === 0 ? one : two).failed(CLIENT, ATTACKER), 0, `failure ${i + 1}`);
      await settle();
    }
    await settle();
    for (const throttle of [one, two]) {
      const wait = throttle.failed(CLIENT, ATTACKER);
      assert.ok(wait > 0 && wait <= WINDOW_S, `retryAfter ${wait}`);
      assert.equal(throttle.failed(CLIENT, REAL), 0);
      assert.equal(throttle.failed(OTHER_CLIENT, ATTACKER), 0);
    }
    assert.equal(hub.published.length, 1, 'the block is published once');
  });

  it('sends a refused failure to no shared counter: a flood once refused costs no round trip', async () => {
    const clock = windowClock();
    const hub = new FakeSharedHub(clock);
    const throttle = new AuthThrottle(clock, { shared: hub.counters() });
    fail(throttle, CLIENT, ATTACKER, THROTTLE_LIMITS.pair);
    await settle();
    const sent = hub.incremented.length;
    assert.equal(sent, THROTTLE_LIMITS.pair);
    for (const answer of fail(throttle, CLIENT, ATTACKER, 1000)) assert.ok(answer > 0);
    await settle();
    assert.equal(hub.incremented.length, sent);
  });

  it('honours a block another instance published, until it ends', async () => {
    const clock = windowClock(30);
    const hub = new FakeSharedHub(clock);
    const here = new AuthThrottle(clock, { shared: hub.counters() });
    const elsewhere = [
      new AuthThrottle(clock, { shared: hub.counters() }),
      new AuthThrottle(clock, { shared: hub.counters() }),
    ];
    for (let i = 0; i < THROTTLE_LIMITS.address; i++) {
      elsewhere[i % 2]?.failed(`guess-${i}`, ATTACKER);
      await settle();
    }
    await settle();
    assert.equal(hub.published.length, 1);
    const wait = here.failed(CLIENT, ATTACKER);
    assert.equal(wait, WINDOW_S - 30, 'refused here without a single failure here');
    assert.equal(here.failed(CLIENT, REAL), 0);
    clock.advance(wait * 1000);
    assert.equal(here.failed(CLIENT, ATTACKER), 0);
  });

  it('checks every block it is told of: its own namespace, a key of our shape, an end within a window', async () => {
    const clock = windowClock(30);
    const hub = new FakeSharedHub(clock);
    const clients = new AuthThrottle(clock, { shared: hub.counters() });
    const admin = new AuthThrottle(clock, { namespace: 'admin', shared: hub.counters() });
    const now = clock.now();
    const end = now + 30_000;
    const refused: [string, number][] = [
      [`client:a:${ATTACKER}`, now + 10 * THROTTLE_WINDOW_MS], // for ten minutes
      [`client:a:${ATTACKER}`, Number.MAX_SAFE_INTEGER],
      [`client:a:${ATTACKER}`, Number.NaN],
      [`client:a:${ATTACKER}`, now - 1], // over already
      [`client:a:${ATTACKER}`, end + 0.5],
      [`a:${ATTACKER}`, end], // no namespace: the shape of an older version, or another program's
      [`client:x:${ATTACKER}`, end],
      [`client:a:${ATTACKER}\u0000`, end],
      [`client:a:${'9'.repeat(500)}`, end],
      [`other:a:${ATTACKER}`, end],
    ];
    for (const [key, until] of refused) hub.deliver(key, until);
    await settle();
    assert.equal(clients.failed(CLIENT, ATTACKER), 0, 'no malformed block was taken');
    assert.equal(clients.failed(CLIENT, '9'.repeat(500)), 0);

    hub.deliver(`admin:a:${ATTACKER}`, end);
    await settle();
    assert.equal(clients.failed(CLIENT, ATTACKER), 0, "the admin API's block is not the clients'");
    assert.equal(admin.failed('admin-api', ATTACKER), 30);

    hub.deliver(`client:p:${CLIENT}@${ATTACKER}`, end);
    await settle();
    assert.equal(clients.failed(CLIENT, ATTACKER), 30, 'a well-formed block is taken');
    assert.equal(clients.failed(OTHER_CLIENT, ATTACKER), 0);
  });

  it('goes on with its own counts when the shared counters fail, and reports the error', async () => {
    const clock = windowClock();
    const hub = new FakeSharedHub(clock);
    hub.failing = true;
    const errors: unknown[] = [];
    const throttle = new AuthThrottle(clock, {
      shared: hub.counters(),
      onError: (error) => errors.push(error),
    });
    fail(throttle, CLIENT, ATTACKER, THROTTLE_LIMITS.pair);
    assert.ok(throttle.failed(CLIENT, ATTACKER) > 0, 'the local count still blocks');
    await settle();
    assert.ok(errors.length >= THROTTLE_LIMITS.pair, 'each failed increment is reported');
    assert.ok(errors.every((error) => error instanceof Error && /redis is away/.test(error.message)));
  });
});
