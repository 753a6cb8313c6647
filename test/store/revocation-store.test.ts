import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { storeContract } from './contract/backends.js';
import { T0 } from './contract/fixtures.js';

/** RevocationStore. Run over every backend (contract/backends.ts). */
storeContract('revoked tokens', ({ withStore }) => {
  describe('revoked tokens', () => {
    it('revokeToken records a jti that isTokenRevoked then reports; other jtis are not revoked', () =>
      withStore(async (store) => {
        const jti = randomUUID();
        assert.equal(await store.isTokenRevoked(jti), false);
        await store.revokeToken({ jti, clientId: randomUUID(), revokedAt: T0, expiresAt: T0 + 3_600_000 });
        assert.equal(await store.isTokenRevoked(jti), true);
        assert.equal(await store.isTokenRevoked(randomUUID()), false);
        assert.equal(await store.isTokenRevoked(''), false);
      }));

    it('revoking a jti twice is no error and keeps the first record', () =>
      withStore(async (store) => {
        const jti = randomUUID();
        const clientId = randomUUID();
        await store.revokeToken({ jti, clientId, revokedAt: T0, expiresAt: T0 + 1000 });
        await store.revokeToken({ jti, clientId, revokedAt: T0 + 10, expiresAt: T0 + 5000 });
        assert.equal(await store.isTokenRevoked(jti), true);
        // The record kept expires at T0 + 1000 (the first), so a purge at T0 + 2000 removes it.
        assert.equal(await store.purgeRevokedTokens(T0 + 2000), 1);
        assert.equal(await store.isTokenRevoked(jti), false);
      }));

    it('purgeRevokedTokens deletes the records of expired tokens (expiresAt <= now) and counts them', () =>
      withStore(async (store) => {
        const clientId = randomUUID();
        const jtis = [1000, 2000, 3000, 4000].map((offset) => ({
          jti: randomUUID(),
          expiresAt: T0 + offset,
        }));
        for (const { jti, expiresAt } of jtis)
          await store.revokeToken({ jti, clientId, revokedAt: T0, expiresAt });

        assert.equal(await store.purgeRevokedTokens(T0 + 999), 0);
        assert.equal(await store.purgeRevokedTokens(T0 + 2000), 2);
        const revoked = await Promise.all(jtis.map(({ jti }) => store.isTokenRevoked(jti)));
        assert.deepEqual(revoked, [false, false, true, true]);
        assert.equal(await store.purgeRevokedTokens(T0 + 2000), 0);
        assert.equal(await store.purgeRevokedTokens(T0 + 10_000), 2);
        assert.equal(typeof (await store.purgeRevokedTokens(T0 + 10_000)), 'number');
      }));
  });
});
