import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StoreConflictError } from '../../src/domain/store.js';
import { storeContract } from './contract/backends.js';
import { rejectsWithConflict, signingKey, T0 } from './contract/fixtures.js';

/** SigningKeyStore. Run over every backend (contract/backends.ts). */
storeContract('signing keys', ({ withStore }) => {
  describe('signing keys', () => {
    it('listSigningKeys is empty at first', () =>
      withStore(async (store) => {
        assert.deepEqual(await store.listSigningKeys(), []);
      }));

    it('adds the first key (rotatedFrom empty) and round-trips every field', () =>
      withStore(async (store) => {
        const key = signingKey(T0, { alg: 'ES256', activatesAt: T0 + 360_000 });
        await store.addSigningKey(key, { now: T0, previousExpiresAt: null });
        assert.deepEqual(await store.listSigningKeys(), [key]);
        const [stored] = await store.listSigningKeys();
        assert.equal(typeof stored?.createdAt, 'number');
        assert.equal(typeof stored?.activatesAt, 'number');
      }));

    it('a rotation gives the key it follows previousExpiresAt and leaves older keys alone; newest first', () =>
      withStore(async (store) => {
        const k1 = signingKey(T0);
        await store.addSigningKey(k1, { now: T0, previousExpiresAt: null });
        const k2 = signingKey(T0 + 100, { activatesAt: T0 + 400, rotatedFrom: k1.kid });
        await store.addSigningKey(k2, { now: T0 + 100, previousExpiresAt: T0 + 5000 });
        assert.deepEqual(await store.listSigningKeys(), [k2, { ...k1, expiresAt: T0 + 5000 }]);

        const k3 = signingKey(T0 + 200, { rotatedFrom: k2.kid });
        await store.addSigningKey(k3, { now: T0 + 200, previousExpiresAt: T0 + 6000 });
        assert.deepEqual(await store.listSigningKeys(), [
          k3,
          { ...k2, expiresAt: T0 + 6000 },
          { ...k1, expiresAt: T0 + 5000 },
        ]);
      }));

    it('a second rotation from the same key (another process was first) is a StoreConflictError and changes nothing', () =>
      withStore(async (store) => {
        const k1 = signingKey(T0);
        await store.addSigningKey(k1, { now: T0, previousExpiresAt: null });
        const k2 = signingKey(T0 + 1, { rotatedFrom: k1.kid });
        await store.addSigningKey(k2, { now: T0 + 1, previousExpiresAt: T0 + 500 });
        const k3 = signingKey(T0 + 2, { rotatedFrom: k2.kid });
        await store.addSigningKey(k3, { now: T0 + 2, previousExpiresAt: T0 + 9000 });
        const before = await store.listSigningKeys();

        // We still think k2 is the newest key. Had it gone through, k2 would get T0 + 20_000 and
        // k1 (expired at T0 + 600) would be deleted.
        const late = signingKey(T0 + 600, { rotatedFrom: k2.kid });
        await rejectsWithConflict(
          store.addSigningKey(late, { now: T0 + 600, previousExpiresAt: T0 + 20_000 }),
        );
        // We think there is no key at all.
        await rejectsWithConflict(
          store.addSigningKey(signingKey(T0 + 600), { now: T0 + 600, previousExpiresAt: null }),
        );
        assert.deepEqual(await store.listSigningKeys(), before);
      }));

    it('of two racing rotations from one key exactly one is stored', () =>
      withStore(async (store) => {
        const k1 = signingKey(T0);
        await store.addSigningKey(k1, { now: T0, previousExpiresAt: null });
        const racers = [1, 2, 3].map((i) => signingKey(T0 + i, { rotatedFrom: k1.kid }));
        const results = await Promise.allSettled(
          racers.map((k) =>
            store.addSigningKey(k, { now: k.createdAt, previousExpiresAt: T0 + 1000 * (k.createdAt - T0) }),
          ),
        );
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
        for (const r of results) {
          if (r.status === 'rejected') assert.ok(r.reason instanceof StoreConflictError, String(r.reason));
        }
        const keys = await store.listSigningKeys();
        assert.equal(keys.length, 2);
        const winner = racers.find((k) => keys.some((stored) => stored.kid === k.kid));
        assert.ok(winner);
        assert.equal(keys.find((k) => k.kid === k1.kid)?.expiresAt, T0 + 1000 * (winner.createdAt - T0));
      }));

    it('deletes keys whose expiresAt <= now, keeps those still valid', () =>
      withStore(async (store) => {
        const k1 = signingKey(T0);
        await store.addSigningKey(k1, { now: T0, previousExpiresAt: null });
        const k2 = signingKey(T0 + 1, { rotatedFrom: k1.kid });
        await store.addSigningKey(k2, { now: T0 + 1, previousExpiresAt: T0 + 1000 });
        const k3 = signingKey(T0 + 2, { rotatedFrom: k2.kid });
        await store.addSigningKey(k3, { now: T0 + 2, previousExpiresAt: T0 + 2000 });
        assert.equal((await store.listSigningKeys()).length, 3);

        // At exactly k1's expiry, k1 goes; k2 (T0 + 2000) stays.
        const k4 = signingKey(T0 + 1000, { rotatedFrom: k3.kid });
        await store.addSigningKey(k4, { now: T0 + 1000, previousExpiresAt: T0 + 9000 });
        assert.deepEqual(
          (await store.listSigningKeys()).map((k) => k.kid),
          [k4.kid, k3.kid, k2.kid],
        );

        const k5 = signingKey(T0 + 2500, { rotatedFrom: k4.kid });
        await store.addSigningKey(k5, { now: T0 + 2500, previousExpiresAt: T0 + 9500 });
        assert.deepEqual(
          (await store.listSigningKeys()).map((k) => k.kid),
          [k5.kid, k4.kid, k3.kid],
        );
      }));

    it('a rotation that fails half-way (kid already stored) rolls back', () =>
      withStore(async (store) => {
        const k1 = signingKey(T0);
        await store.addSigningKey(k1, { now: T0, previousExpiresAt: null });
        const k2 = signingKey(T0 + 1, { rotatedFrom: k1.kid });
        await store.addSigningKey(k2, { now: T0 + 1, previousExpiresAt: T0 + 5000 });
        const before = await store.listSigningKeys();

        await assert.rejects(
          store.addSigningKey(
            { ...k1, createdAt: T0 + 6000, rotatedFrom: k2.kid },
            { now: T0 + 6000, previousExpiresAt: T0 + 9000 },
          ),
        );
        assert.deepEqual(await store.listSigningKeys(), before);
      }));
  });
});
