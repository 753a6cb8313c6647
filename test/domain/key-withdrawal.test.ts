import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import { AuditTrail } from '../../src/domain/audit-trail.js';
import { DomainError } from '../../src/domain/domain-error.js';
import { RETIREMENT_MARGIN_MS, SigningKeys } from '../../src/domain/signing-keys.js';
import type { Store } from '../../src/domain/store.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { TEST_ACTOR, tempDir } from '../helpers/test-server.js';

const LONGEST_LIFETIME = 3600;
const PRE_PUBLICATION_MS = 120_000;

describe('SigningKeys.withdraw: a compromised key', () => {
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

  /** A key ring over the shared store, as each instance of a deployment has one. */
  function keyRing(): SigningKeys {
    return new SigningKeys(store, clock, new AuditTrail(clock), {
      alg: 'ES256',
      keyEncryptionKey: () => kek,
      longestTokenLifetime: async () => LONGEST_LIFETIME,
      prePublicationMs: PRE_PUBLICATION_MS,
      rotationIntervalMs: 0,
    });
  }

  function sign(keys: SigningKeys): string {
    return keys.activeSigner().sign({ sub: 'client', iat: Math.floor(clock.now() / 1000) });
  }

  /** Whether `token` verifies with the ring's JWKS as it is now. */
  async function verifies(keys: SigningKeys, token: string): Promise<boolean> {
    try {
      await jwtVerify(token, createLocalJWKSet(keys.jwks() as JSONWebKeySet), {
        currentDate: new Date(clock.now()),
      });
      return true;
    } catch {
      return false;
    }
  }

  const states = (keys: SigningKeys) => keys.list().map((k) => [k.kid, k.state]);
  const published = (keys: SigningKeys) => keys.jwks().keys.map((k) => k.kid);

  async function expectNotFound(promise: Promise<unknown>, message: RegExp): Promise<void> {
    await assert.rejects(promise, (error: unknown) => {
      assert.ok(error instanceof DomainError, String(error));
      assert.equal(error.code, 'not_found');
      assert.match(error.message, message);
      return true;
    });
  }

  it('the active key: out of the JWKS at once, its tokens fail, and a new key signs from now on', async () => {
    const keys = keyRing();
    await keys.start();
    const compromised = keys.activeSigner().kid;
    const token = sign(keys);
    assert.ok(await verifies(keys, token));

    clock.advance(5_000);
    const withdrawn = await keys.withdraw(compromised, 'cli:alice');
    const replacement = withdrawn.replacement;
    assert.ok(replacement);
    assert.deepEqual(
      { ...withdrawn, replacement: undefined },
      {
        kid: compromised,
        state: 'active',
        replacement: undefined,
      },
    );
    assert.equal(replacement.state, 'active');
    assert.equal(replacement.activatesAt, clock.now(), 'the new key signs at once: issuance never stops');
    assert.equal(keys.activeSigner().kid, replacement.kid);
    assert.deepEqual(published(keys), [replacement.kid]);
    assert.deepEqual(states(keys), [[replacement.kid, 'active']]);
    assert.equal(await verifies(keys, token), false, 'a token of the withdrawn key still verifies');
    assert.ok(await verifies(keys, sign(keys)));

    const events = await store.listAuditEvents({ actor: 'cli:alice' }, { limit: 10 });
    assert.deepEqual(events.map((e) => [e.action, e.targetId, e.detail]).sort(), [
      [
        'key.rotate',
        replacement.kid,
        { alg: 'ES256', activates_at: new Date(clock.now()).toISOString(), replaces: null },
      ],
      ['key.withdraw', compromised, { state: 'active', replaced_by: replacement.kid }],
    ]);
  });

  it('a retired key: out of the JWKS, no new key, the active one goes on signing', async () => {
    const keys = keyRing();
    await keys.start();
    const old = keys.activeSigner().kid;
    const oldToken = sign(keys);
    const current = await keys.rotate({ immediately: true }, TEST_ACTOR);
    assert.ok(await verifies(keys, oldToken), 'a retired key verifies until withdrawn');

    const withdrawn = await keys.withdraw(old, TEST_ACTOR);
    assert.deepEqual(withdrawn, { kid: old, state: 'retired', replacement: undefined });
    assert.equal(keys.activeSigner().kid, current.kid);
    assert.deepEqual(published(keys), [current.kid]);
    assert.equal(await verifies(keys, oldToken), false);
  });

  it('the next key: a new key signs at once, and the key that signed until now stays for its tokens', async () => {
    const keys = keyRing();
    await keys.start();
    const active = keys.activeSigner().kid;
    const activeToken = sign(keys);
    const next = await keys.rotate({ immediately: false }, TEST_ACTOR);
    assert.equal(next.state, 'next');

    clock.advance(1_000);
    const withdrawn = await keys.withdraw(next.kid, TEST_ACTOR);
    assert.equal(withdrawn.state, 'next');
    const replacement = withdrawn.replacement;
    assert.ok(replacement);
    assert.equal(keys.activeSigner().kid, replacement.kid);
    assert.deepEqual(states(keys), [
      [replacement.kid, 'active'],
      [active, 'retired'],
    ]);
    // The previous key signed until now: published until its last token has expired, and no later.
    const previous = keys.list().find((k) => k.kid === active);
    assert.equal(previous?.expiresAt, clock.now() + LONGEST_LIFETIME * 1000 + RETIREMENT_MARGIN_MS);
    assert.ok(await verifies(keys, activeToken));
  });

  it('the active key while a next key is published: the new key signs at once, the next one never signs', async () => {
    const keys = keyRing();
    await keys.start();
    const active = keys.activeSigner().kid;
    const next = await keys.rotate({ immediately: false }, TEST_ACTOR);
    const withdrawn = await keys.withdraw(active, TEST_ACTOR);
    const replacement = withdrawn.replacement;
    assert.ok(replacement);
    assert.deepEqual(states(keys), [
      [replacement.kid, 'active'],
      [next.kid, 'retired'],
    ]);
    clock.advance(PRE_PUBLICATION_MS + 1);
    assert.equal(keys.activeSigner().kid, replacement.kid, 'the skipped next key signed after all');
  });

  it('an unknown kid, or one withdrawn already, is not_found and changes nothing', async () => {
    const keys = keyRing();
    await keys.start();
    const kid = keys.activeSigner().kid;
    await expectNotFound(
      keys.withdraw('no-such-kid', TEST_ACTOR),
      /no published signing key has kid 'no-such-kid'/,
    );
    const { replacement } = await keys.withdraw(kid, TEST_ACTOR);
    const before = await store.listSigningKeys();
    const events = await store.listAuditEvents({}, { limit: 100 });
    await expectNotFound(keys.withdraw(kid, TEST_ACTOR), /no published signing key/);
    assert.deepEqual(await store.listSigningKeys(), before);
    assert.deepEqual(await store.listAuditEvents({}, { limit: 100 }), events);
    assert.equal(keys.activeSigner().kid, replacement?.kid);
  });

  it('another instance follows at its reload: the key leaves its JWKS and it signs with the new key', async () => {
    const here = keyRing();
    const there = keyRing();
    await here.start();
    await there.start();
    const compromised = there.activeSigner().kid;
    const { replacement } = await here.withdraw(compromised, TEST_ACTOR);
    // Until the change notice: the old state (what "within the change-notice delay" bounds).
    assert.equal(there.activeSigner().kid, compromised);
    await there.reload();
    assert.equal(there.activeSigner().kid, replacement?.kid);
    assert.deepEqual(published(there), published(here));
  });

  it('two instances withdrawing the same key at once: one does it, the other is told, one new key', async () => {
    const a = keyRing();
    const b = keyRing();
    await a.start();
    await b.start();
    const kid = a.activeSigner().kid;
    const results = await Promise.allSettled([a.withdraw(kid, 'a'), b.withdraw(kid, 'b')]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    const refused = results.find((r) => r.status === 'rejected');
    assert.ok(
      refused?.reason instanceof DomainError && refused.reason.code === 'not_found',
      String(refused?.reason),
    );
    await a.reload();
    assert.equal(a.list().length, 1);
    assert.equal(a.list()[0]?.state, 'active');
  });

  it('a withdrawal and another instance’s rotation at the same moment: one chain, no key left published forever', async () => {
    for (let round = 0; round < 4; round++) {
      const a = keyRing();
      const b = keyRing();
      await a.start();
      await b.start();
      const kid = a.activeSigner().kid;
      if (round === 0) {
        // b has not heard of the withdrawal yet: it rotates from the withdrawn key, as the newest.
        await a.withdraw(kid, 'a');
        await b.rotate({ immediately: true }, 'b');
      } else {
        await Promise.all([a.withdraw(kid, 'a'), b.rotate({ immediately: true }, 'b')]);
      }
      const fresh = keyRing();
      await fresh.reload();
      const published = fresh.list();
      assert.ok(!published.some((k) => k.kid === kid), 'the withdrawn key is published');
      // Only the newest key has no end: every other published key leaves the JWKS some day.
      assert.deepEqual(
        published.filter((k) => k.expiresAt === null).map((k) => k.kid),
        [published[0]?.kid],
        `round ${round}: ${JSON.stringify((await store.listSigningKeys()).map((k) => [k.kid, k.rotatedFrom, k.expiresAt]))}`,
      );
      assert.equal(fresh.activeSigner().kid, published[0]?.kid);
      clock.advance(86_400_000);
    }
  });

  it('later rotations go on from the new key, and no old key ever signs again once the withdrawn row is gone', async () => {
    const keys = keyRing();
    await keys.start();
    // q ← r ← k: q and r retired, still published; k signs.
    const q = keys.activeSigner().kid;
    const r = (await keys.rotate({ immediately: true }, TEST_ACTOR)).kid;
    clock.advance(10);
    const k = (await keys.rotate({ immediately: true }, TEST_ACTOR)).kid;
    const { replacement } = await keys.withdraw(k, TEST_ACTOR);
    assert.ok(replacement);

    // A scheduled-style rotation later: its clean-up deletes the withdrawn row.
    clock.advance(1_000);
    const following = await keys.rotate({ immediately: false }, TEST_ACTOR);
    assert.equal(
      (await store.listSigningKeys()).some((row) => row.kid === k),
      false,
    );
    const fresh = keyRing();
    await fresh.reload();
    assert.equal(fresh.activeSigner().kid, replacement.kid, 'an old retired key took over');
    assert.deepEqual(states(fresh), [
      [following.kid, 'next'],
      [replacement.kid, 'active'],
      [r, 'retired'],
      [q, 'retired'],
    ]);
    clock.advance(PRE_PUBLICATION_MS);
    assert.equal(fresh.activeSigner().kid, following.kid);
  });
});
