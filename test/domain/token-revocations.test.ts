import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Store } from '../../src/domain/store.js';
import { TokenRevocations } from '../../src/domain/token-revocations.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { tempDir } from '../helpers/test-server.js';

/** How long past its exp a revocation is kept (the src's CLOCK_SKEW_MARGIN_MS). */
const CLOCK_SKEW_MARGIN_MS = 5 * 60_000;

describe('TokenRevocations', () => {
  let temp: ReturnType<typeof tempDir>;
  let store: Store;
  let clock: FakeClock;
  let errors: unknown[];
  let revocations: TokenRevocations;

  beforeEach(async () => {
    temp = tempDir();
    store = openSqliteStore(join(temp.dir, 'revocations.db'));
    await store.migrate();
    clock = new FakeClock();
    errors = [];
    revocations = new TokenRevocations(store, clock, (error) => errors.push(error));
  });

  afterEach(async () => {
    revocations.stopPurging();
    await store.close();
    temp.remove();
  });

  /** A token's exp (seconds) `seconds` from the fake now. */
  const expIn = (seconds: number) => Math.floor(clock.now() / 1000) + seconds;

  it('revoke() makes isRevoked() true for that jti only', async () => {
    const jti = randomUUID();
    assert.equal(await revocations.isRevoked(jti), false);
    await revocations.revoke({ jti, clientId: randomUUID(), expiresAt: expIn(3600) });
    assert.equal(await revocations.isRevoked(jti), true);
    assert.equal(await revocations.isRevoked(randomUUID()), false);
  });

  it('revoking a token twice is harmless', async () => {
    const jti = randomUUID();
    const token = { jti, clientId: randomUUID(), expiresAt: expIn(60) };
    await revocations.revoke(token);
    await revocations.revoke(token);
    assert.equal(await revocations.isRevoked(jti), true);
    assert.deepEqual(errors, []);
  });

  it('purgeExpired() forgets a revocation once the token has expired (exp is in seconds) and a clock-skew margin has passed', async () => {
    const short = { jti: randomUUID(), clientId: randomUUID(), expiresAt: expIn(60) };
    const long = { jti: randomUUID(), clientId: randomUUID(), expiresAt: expIn(3600) };
    await revocations.revoke(short);
    await revocations.revoke(long);

    assert.equal(await revocations.purgeExpired(), 0);
    clock.advance(60_000);
    assert.equal(
      await revocations.purgeExpired(),
      0,
      'an instance whose clock is behind may still accept the token',
    );
    assert.equal(await revocations.isRevoked(short.jti), true);
    clock.advance(CLOCK_SKEW_MARGIN_MS - 1);
    assert.equal(await revocations.purgeExpired(), 0);
    assert.equal(await revocations.isRevoked(short.jti), true);

    clock.advance(1);
    assert.equal(await revocations.purgeExpired(), 1);
    assert.equal(await revocations.isRevoked(short.jti), false);
    assert.equal(await revocations.isRevoked(long.jti), true);

    clock.advance(3600_000);
    assert.equal(await revocations.purgeExpired(), 1);
    assert.equal(await revocations.isRevoked(long.jti), false);
    assert.equal(await revocations.purgeExpired(), 0);
  });

  it('startPurging() and stopPurging() may be called more than once', () => {
    revocations.startPurging();
    revocations.startPurging();
    revocations.stopPurging();
    revocations.stopPurging();
    assert.deepEqual(errors, []);
  });
});
