import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import { AuditTrail } from '../../src/domain/audit-trail.js';
import type { Clock } from '../../src/domain/clock.js';
import {
  JWKS_MAX_AGE_SECONDS,
  RETIREMENT_MARGIN_MS,
  SigningKeys,
  type SigningKeysOptions,
} from '../../src/domain/signing-keys.js';
import type { Store } from '../../src/domain/store.js';
import { openServices } from '../../src/server/services.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { TEST_ACTOR, tempDir, testConfig } from '../helpers/test-server.js';

const LONGEST_LIFETIME = 3600;
const PRE_PUBLICATION_MS = 360_000;
const INTERVAL_MS = 30 * 86_400_000;

describe('key rotation', () => {
  let temp: ReturnType<typeof tempDir>;
  let store: Store;
  let clock: FakeClock;
  let kek: Buffer;

  beforeEach(async () => {
    temp = tempDir();
    store = openSqliteStore(join(temp.dir, 'keys.db'));
    await store.migrate();
    clock = new FakeClock();
    kek = randomBytes(32);
  });

  afterEach(async () => {
    await store.close();
    temp.remove();
  });

  function keyRing(options: Partial<SigningKeysOptions> & { clock?: Clock } = {}) {
    const ringClock = options.clock ?? clock;
    return new SigningKeys(store, ringClock, new AuditTrail(ringClock), {
      alg: 'ES256',
      keyEncryptionKey: () => kek,
      longestTokenLifetime: async () => LONGEST_LIFETIME,
      prePublicationMs: PRE_PUBLICATION_MS,
      rotationIntervalMs: INTERVAL_MS,
      ...options,
    });
  }

  const kids = (keys: SigningKeys) => keys.jwks().keys.map((k) => k.kid);
  const states = (keys: SigningKeys) => keys.list().map((k) => [k.kid, k.state]);
  const sign = (keys: SigningKeys, sub: string) => keys.activeSigner().sign({ sub });
  /** What a resource server does: verify with a JWKS it fetched earlier and cached. */
  const verifyWith = (jwks: { keys: unknown[] }, token: string) =>
    jwtVerify(token, createLocalJWKSet(structuredClone(jwks) as JSONWebKeySet));

  describe('with pre-publication', () => {
    it('publishes the next key at once, signs with it only from activatesAt, and keeps the old one published until its expiry', async () => {
      const keys = keyRing();
      await keys.start();
      const oldKid = keys.activeSigner().kid;
      clock.advance(1000);
      const rotatedAt = clock.now();

      const next = await keys.rotate({ immediately: false }, TEST_ACTOR);
      const activatesAt = rotatedAt + PRE_PUBLICATION_MS;
      assert.equal(next.state, 'next');
      assert.equal(next.createdAt, rotatedAt);
      assert.equal(next.activatesAt, activatesAt);
      assert.equal(next.expiresAt, null);
      assert.notEqual(next.kid, oldKid);

      // Published at once: a verifier that fetches the JWKS now learns the new kid before it signs.
      assert.deepEqual(kids(keys), [next.kid, oldKid]);
      const cachedByVerifier = keys.jwks();
      assert.deepEqual(states(keys), [
        [next.kid, 'next'],
        [oldKid, 'active'],
      ]);
      // The old key goes on signing until the new one activates.
      assert.equal(keys.activeSigner().kid, oldKid);
      const expiresAt = activatesAt + LONGEST_LIFETIME * 1000 + RETIREMENT_MARGIN_MS;
      assert.equal(keys.list().find((k) => k.kid === oldKid)?.expiresAt, expiresAt);

      clock.advance(PRE_PUBLICATION_MS - 1);
      assert.equal(keys.activeSigner().kid, oldKid, 'one millisecond before activatesAt');
      const lastOldToken = sign(keys, 'old');

      clock.advance(1);
      assert.equal(keys.activeSigner().kid, next.kid, 'at activatesAt the new key signs');
      assert.deepEqual(states(keys), [
        [next.kid, 'active'],
        [oldKid, 'retired'],
      ]);
      const firstNewToken = sign(keys, 'new');
      // The verifier's JWKS from before the switch verifies the new key's tokens: no unknown kid.
      assert.equal((await verifyWith(cachedByVerifier, firstNewToken)).protectedHeader.kid, next.kid);
      assert.equal((await verifyWith(keys.jwks(), lastOldToken)).protectedHeader.kid, oldKid);

      // The old key stays published until no token it signed can be valid, then leaves.
      clock.advance(expiresAt - 1 - clock.now());
      assert.deepEqual(kids(keys), [next.kid, oldKid]);
      clock.advance(1);
      assert.deepEqual(kids(keys), [next.kid]);
      assert.deepEqual(states(keys), [[next.kid, 'active']]);
      await assert.rejects(verifyWith(keys.jwks(), lastOldToken), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
      await verifyWith(keys.jwks(), firstNewToken);
    });

    it('another instance that reloads agrees on the states, whichever clock-driven moment it looks at', async () => {
      const server = keyRing();
      await server.start();
      const other = keyRing();
      await other.start();
      clock.advance(1000);
      const next = await other.rotate({ immediately: false }, TEST_ACTOR);
      await server.reload();
      assert.deepEqual(states(server), states(other));
      clock.advance(PRE_PUBLICATION_MS);
      // Neither talks to the other again: the switch follows from the stored times.
      assert.equal(server.activeSigner().kid, next.kid);
      assert.equal(other.activeSigner().kid, next.kid);
    });

    it('the server publishes a new key at least the JWKS cache lifetime ahead', async () => {
      const dir = tempDir();
      const services = await openServices(testConfig(dir.dir), { warn: () => {}, error: () => {} }, clock);
      try {
        await services.keys.start();
        clock.advance(1000);
        const next = await services.keys.rotate({ immediately: false }, TEST_ACTOR);
        assert.equal(next.state, 'next');
        assert.ok(
          next.activatesAt - next.createdAt > JWKS_MAX_AGE_SECONDS * 1000,
          `published ${next.activatesAt - next.createdAt} ms ahead`,
        );
      } finally {
        await services.close();
        dir.remove();
      }
    });
  });

  describe('emergency rotation', () => {
    it('rotate({ immediately: true }) signs with the new key at once; the old one stays published, retired', async () => {
      const keys = keyRing();
      await keys.start();
      const oldKid = keys.activeSigner().kid;
      const oldToken = sign(keys, 'old');
      clock.advance(1000);

      const now = clock.now();
      const swapped = await keys.rotate({ immediately: true }, TEST_ACTOR);
      assert.equal(swapped.state, 'active');
      assert.equal(swapped.activatesAt, now);
      assert.equal(keys.activeSigner().kid, swapped.kid);
      assert.deepEqual(states(keys), [
        [swapped.kid, 'active'],
        [oldKid, 'retired'],
      ]);
      assert.equal(
        keys.list().find((k) => k.kid === oldKid)?.expiresAt,
        now + LONGEST_LIFETIME * 1000 + RETIREMENT_MARGIN_MS,
      );
      await verifyWith(keys.jwks(), oldToken);
    });

    it('an emergency rotation while a next key is pending takes over at once; the pending key never signs', async () => {
      const keys = keyRing();
      await keys.start();
      const first = keys.activeSigner().kid;
      clock.advance(1000);
      const pending = await keys.rotate({ immediately: false }, TEST_ACTOR);
      clock.advance(1000);
      const emergency = await keys.rotate({ immediately: true }, TEST_ACTOR);
      assert.equal(keys.activeSigner().kid, emergency.kid);
      assert.deepEqual(kids(keys).sort(), [first, pending.kid, emergency.kid].sort());

      clock.advance(PRE_PUBLICATION_MS);
      assert.equal(keys.activeSigner().kid, emergency.kid, 'the pending key does not take over later');
      assert.equal(keys.list().find((k) => k.kid === emergency.kid)?.state, 'active');
    });
  });

  describe('scheduled rotation (rotateIfDue)', () => {
    it('does nothing before the interval, publishes a next key after it, and not a second one on the next call', async () => {
      const keys = keyRing();
      await keys.start();
      const first = keys.activeSigner().kid;
      const startedAt = clock.now();

      clock.advance(INTERVAL_MS - 1);
      assert.equal(await keys.rotateIfDue(), undefined);
      assert.equal((await store.listSigningKeys()).length, 1);

      clock.advance(1);
      const scheduled = await keys.rotateIfDue();
      assert.ok(scheduled, 'due at startedAt + interval');
      assert.equal(scheduled.state, 'next');
      assert.equal(scheduled.activatesAt, startedAt + INTERVAL_MS + PRE_PUBLICATION_MS);
      assert.equal(keys.activeSigner().kid, first);
      assert.deepEqual(kids(keys), [scheduled.kid, first]);

      assert.equal(await keys.rotateIfDue(), undefined, 'the pending key is the newest: nothing is due');
      clock.advance(PRE_PUBLICATION_MS);
      assert.equal(await keys.rotateIfDue(), undefined, 'the new key has only begun to sign');
      assert.equal(keys.activeSigner().kid, scheduled.kid);
      assert.equal((await store.listSigningKeys()).length, 2);

      const events = await store.listAuditEvents({ action: 'key.rotate', actor: 'schedule' }, { limit: 10 });
      assert.deepEqual(
        events.map((e) => e.targetId),
        [scheduled.kid],
      );

      // The next one is due an interval after the new key began to sign.
      clock.advance(INTERVAL_MS - 1);
      assert.equal(await keys.rotateIfDue(), undefined);
      clock.advance(1);
      const again = await keys.rotateIfDue();
      assert.equal(again?.state, 'next');
      // The first key's tokens have long expired: it is gone.
      assert.deepEqual(kids(keys), [again?.kid, scheduled.kid]);
    });

    it('an interval of 0 never rotates', async () => {
      const keys = keyRing({ rotationIntervalMs: 0 });
      await keys.start();
      for (const step of [1, INTERVAL_MS, 10 * 365 * 86_400_000]) {
        clock.advance(step);
        assert.equal(await keys.rotateIfDue(), undefined);
      }
      assert.equal((await store.listSigningKeys()).length, 1);
    });

    it('does nothing before start() has found or made a key', async () => {
      const keys = keyRing();
      clock.advance(2 * INTERVAL_MS);
      assert.equal(await keys.rotateIfDue(), undefined);
      assert.deepEqual(await store.listSigningKeys(), []);
    });

    it('two instances over one store, both due at once: exactly one new key, and both end up with it', async () => {
      const a = keyRing();
      const b = keyRing();
      await a.start();
      await b.start();
      clock.advance(INTERVAL_MS);
      const results = await Promise.all([a.rotateIfDue(), b.rotateIfDue()]);
      const made = results.filter((r) => r !== undefined);
      assert.equal(made.length, 1, 'exactly one instance rotated');
      assert.equal((await store.listSigningKeys()).length, 2);
      const events = await store.listAuditEvents({ action: 'key.rotate', actor: 'schedule' }, { limit: 10 });
      assert.equal(events.length, 1, 'the loser wrote no audit event either');

      // The loser reloaded: both publish the same keys and switch together.
      assert.deepEqual(kids(a), kids(b));
      clock.advance(PRE_PUBLICATION_MS);
      assert.equal(a.activeSigner().kid, made[0]?.kid);
      assert.equal(b.activeSigner().kid, made[0]?.kid);
    });

    it('an instance that has not heard of the other’s scheduled rotation does not add a second key', async () => {
      const a = keyRing();
      const b = keyRing();
      await a.start();
      await b.start();
      clock.advance(INTERVAL_MS);
      const made = await a.rotateIfDue();
      assert.ok(made);
      // b still thinks the first key is the newest, so it believes a rotation is due.
      assert.equal(await b.rotateIfDue(), undefined);
      assert.equal((await store.listSigningKeys()).length, 2);
      assert.deepEqual(kids(b), kids(a), 'b reloaded after losing');
      assert.equal(await b.rotateIfDue(), undefined);
    });
  });

  it('two rotations asked for at once on one instance both happen, the later following the earlier', async () => {
    const keys = keyRing();
    await keys.start();
    const first = keys.activeSigner().kid;
    const [a, b] = await Promise.all([
      keys.rotate({ immediately: true }, 'operator a'),
      keys.rotate({ immediately: true }, 'operator b'),
    ]);
    const rows = await store.listSigningKeys();
    assert.equal(rows.length, 3);
    const chain = Object.fromEntries(rows.map((row) => [row.kid, row.rotatedFrom]));
    // One follows the first key, the other follows it: a chain, not a fork.
    const [earlier, later] = chain[a.kid] === first ? [a, b] : [b, a];
    assert.equal(chain[earlier.kid], first);
    assert.equal(chain[later.kid], earlier.kid);
    assert.equal(keys.activeSigner().kid, later.kid);
  });

  it('the audit event of a rotation names the actor, the key, its algorithm and start, and the key it replaces, and no key material', async () => {
    const keys = keyRing();
    await keys.start();
    const first = keys.activeSigner().kid;
    clock.advance(1000);
    const next = await keys.rotate({ immediately: false }, 'cli:operator');
    const [event, initial] = await store.listAuditEvents({ action: 'key.rotate' }, { limit: 10 });
    assert.deepEqual(event, {
      id: event?.id,
      at: clock.now(),
      actor: 'cli:operator',
      action: 'key.rotate',
      targetType: 'signing_key',
      targetId: next.kid,
      detail: { alg: 'ES256', activates_at: new Date(next.activatesAt).toISOString(), replaces: first },
    });
    assert.equal(initial?.targetId, first);
    assert.equal(initial?.detail.replaces, null);
    const json = JSON.stringify(await store.listAuditEvents({}, { limit: 10 }));
    for (const row of await store.listSigningKeys()) {
      assert.ok(!json.includes(row.sealedPrivateKey), 'a sealed private key is in the audit log');
    }
  });

  it('a key rotated at once in the same millisecond as the key it follows signs, and the next rotation works', async () => {
    const keys = keyRing();
    await keys.start();
    const first = keys.activeSigner().kid;
    const second = await keys.rotate({ immediately: true }, TEST_ACTOR);
    assert.notEqual(second.kid, first);
    assert.equal(keys.activeSigner().kid, second.kid);
    clock.advance(1000);
    const third = await keys.rotate({ immediately: true }, TEST_ACTOR);
    assert.equal(keys.activeSigner().kid, third.kid);
  });

  it('an emergency rotation by an instance whose clock is a few seconds behind takes effect everywhere', async () => {
    const a = keyRing();
    await a.start();
    clock.advance(10_000);
    await a.rotate({ immediately: true }, TEST_ACTOR);
    // Instance b's clock is 5 s behind a's; 2 s later it swaps the key in an emergency.
    const behind = new FakeClock(clock.now() - 5_000);
    const b = keyRing({ clock: behind });
    await b.reload();
    clock.advance(2_000);
    behind.advance(2_000);
    const emergency = await b.rotate({ immediately: true }, TEST_ACTOR);
    assert.equal(b.activeSigner().kid, emergency.kid, 'the instance that rotated signs with the new key');
    await a.reload();
    assert.equal(a.activeSigner().kid, emergency.kid, 'so does every other instance');
    clock.advance(1000);
    await a.rotate({ immediately: true }, TEST_ACTOR);
  });
});
