import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { DPOP_NONCE_WINDOW_MS, DpopNonces } from '../../src/oauth/dpop-nonce.js';
import { FakeClock } from '../helpers/fake-clock.js';

describe('DpopNonces: stateless nonces over time windows', () => {
  const key = randomBytes(32);

  it('takes a nonce in its own window and the next one, and no longer', () => {
    const clock = new FakeClock(
      Math.floor(Date.UTC(2026, 0, 1) / DPOP_NONCE_WINDOW_MS) * DPOP_NONCE_WINDOW_MS,
    );
    const nonces = new DpopNonces(() => key, clock);
    const nonce = nonces.current();
    assert.equal(nonces.accepts(nonce), true);
    clock.advance(DPOP_NONCE_WINDOW_MS - 1);
    assert.equal(nonces.current(), nonce, 'the same nonce all through its window');
    clock.advance(1);
    assert.notEqual(nonces.current(), nonce, 'a new window, a new nonce');
    assert.equal(nonces.accepts(nonce), true, 'the previous window’s nonce still taken');
    clock.advance(DPOP_NONCE_WINDOW_MS);
    assert.equal(nonces.accepts(nonce), false, 'two windows on: stale');
  });

  it('takes another instance’s nonce under the same key, not under another key', () => {
    const clock = new FakeClock();
    const a = new DpopNonces(() => key, clock);
    assert.equal(new DpopNonces(() => Buffer.from(key), clock).accepts(a.current()), true);
    assert.equal(new DpopNonces(() => randomBytes(32), clock).accepts(a.current()), false);
  });

  it('refuses what is not a nonce: missing, a number, the wrong length', () => {
    const nonces = new DpopNonces(() => key, new FakeClock());
    for (const value of [undefined, 42, '', 'x', `${nonces.current()}x`]) {
      assert.equal(nonces.accepts(value), false, String(value));
    }
  });
});
