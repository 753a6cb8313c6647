import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import type { SigningAlgorithm } from '../../src/config/signing-algorithms.js';
import { AuditTrail } from '../../src/domain/audit-trail.js';
import { KeyEncryptionError } from '../../src/domain/key-encryption.js';
import { unsealPrivateKey } from '../../src/domain/signing-key-material.js';
import { RETIREMENT_MARGIN_MS, SigningKeys, type SigningKeysOptions } from '../../src/domain/signing-keys.js';
import type { Store } from '../../src/domain/store.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { TEST_ACTOR, tempDir } from '../helpers/test-server.js';

const LONGEST_LIFETIME = 7200;

describe('SigningKeys', () => {
  let temp: ReturnType<typeof tempDir>;
  let store: Store;
  let clock: FakeClock;
  let audit: AuditTrail;
  let kek: Buffer;

  beforeEach(async () => {
    temp = tempDir();
    store = openSqliteStore(join(temp.dir, 'keys.db'));
    await store.migrate();
    clock = new FakeClock();
    audit = new AuditTrail(clock);
    kek = randomBytes(32);
  });

  afterEach(async () => {
    await store.close();
    temp.remove();
  });

  function keyRing(
    alg: SigningAlgorithm = 'ES256',
    options: { kek?: Buffer; longest?: number } & Partial<SigningKeysOptions> = {},
  ) {
    return new SigningKeys(store, clock, audit, {
      alg,
      keyEncryptionKey: () => options.kek ?? kek,
      longestTokenLifetime: async () => options.longest ?? LONGEST_LIFETIME,
      prePublicationMs: options.prePublicationMs ?? 360_000,
      rotationIntervalMs: options.rotationIntervalMs ?? 0,
    });
  }

  async function keyAuditEvents() {
    return store.listAuditEvents({ action: 'key.rotate' }, { limit: 100 });
  }

  function jwkSet(keys: SigningKeys) {
    return createLocalJWKSet(keys.jwks() as JSONWebKeySet);
  }

  function signToken(keys: SigningKeys, sub = 'client'): string {
    return keys.activeSigner().sign({ sub, iat: Math.floor(Date.now() / 1000) });
  }

  it('is not ready and has no signer before start()', () => {
    const keys = keyRing();
    assert.equal(keys.ready, false);
    assert.throws(() => keys.activeSigner(), /start\(\)/);
    assert.deepEqual(keys.jwks(), { keys: [] });
  });

  it('start() on an empty store creates one active key of the configured alg, published in the JWKS', async () => {
    const keys = keyRing('RS256');
    await keys.start();
    assert.equal(keys.ready, true);

    const rows = await store.listSigningKeys();
    assert.equal(rows.length, 1);
    const [row] = rows;
    assert.deepEqual(
      keys.list().map((k) => [k.kid, k.state]),
      [[row?.kid, 'active']],
    );
    assert.equal(row?.alg, 'RS256');
    assert.equal(row?.createdAt, clock.now());
    assert.equal(row?.activatesAt, clock.now(), 'the first key signs at once');
    assert.equal(row?.rotatedFrom, '');
    assert.equal(row?.expiresAt, null);

    const signer = keys.activeSigner();
    assert.equal(signer.kid, row?.kid);
    assert.equal(signer.alg, 'RS256');

    const jwks = keys.jwks();
    assert.equal(jwks.keys.length, 1);
    assert.equal(jwks.keys[0]?.kid, row?.kid);
    assert.equal(jwks.keys[0]?.kty, 'RSA');
    assert.equal(jwks.keys[0]?.alg, 'RS256');
    assert.equal('d' in (jwks.keys[0] ?? {}), false);

    const token = signToken(keys);
    const { protectedHeader } = await jwtVerify(token, jwkSet(keys), { typ: 'at+jwt' });
    assert.equal(protectedHeader.kid, row?.kid);
    assert.deepEqual(
      (await keyAuditEvents()).map((e) => [e.actor, e.targetId]),
      [['system', row?.kid]],
    );
  });

  it('a second SigningKeys over the same store and alg reuses the active key', async () => {
    const first = keyRing('ES256');
    await first.start();
    const second = keyRing('ES256');
    await second.start();
    assert.equal(second.activeSigner().kid, first.activeSigner().kid);
    assert.equal((await store.listSigningKeys()).length, 1);
    assert.deepEqual(second.jwks(), first.jwks());
    // A token from one verifies with the other's JWKS: they hold the same key.
    await jwtVerify(signToken(second), jwkSet(first));
  });

  it('start() with another alg rotates to a new key; the old one is retired but still published', async () => {
    const before = keyRing('ES256');
    await before.start();
    const oldKid = before.activeSigner().kid;
    const oldToken = signToken(before);

    clock.advance(1000);
    const after = keyRing('EdDSA');
    await after.start();
    const signer = after.activeSigner();
    assert.equal(signer.alg, 'EdDSA');
    assert.notEqual(signer.kid, oldKid);

    assert.deepEqual(
      after.list().map((k) => [k.kid, k.alg, k.state]),
      [
        [signer.kid, 'EdDSA', 'active'],
        [oldKid, 'ES256', 'retired'],
      ],
    );
    assert.deepEqual(
      after.jwks().keys.map((k) => k.kid),
      [signer.kid, oldKid],
    );
    await jwtVerify(oldToken, jwkSet(after));
    await jwtVerify(signToken(after), jwkSet(after));
  });

  it('rotate({ immediately }): the retired key expires at now + longest lifetime + margin, and leaves the JWKS then', async () => {
    const keys = keyRing('ES256');
    await keys.start();
    const oldKid = keys.activeSigner().kid;
    const oldToken = signToken(keys, 'before rotation');

    clock.advance(5000);
    const rotatedAt = clock.now();
    const summary = await keys.rotate({ immediately: true }, TEST_ACTOR);
    assert.equal(summary.state, 'active');
    assert.equal(summary.alg, 'ES256');
    assert.equal(summary.createdAt, rotatedAt);
    assert.equal(summary.activatesAt, rotatedAt);
    assert.equal(summary.expiresAt, null);
    assert.equal('sealedPrivateKey' in summary, false);
    assert.equal(keys.activeSigner().kid, summary.kid);
    assert.notEqual(summary.kid, oldKid);

    const expiresAt = rotatedAt + LONGEST_LIFETIME * 1000 + RETIREMENT_MARGIN_MS;
    const retired = (await store.listSigningKeys()).find((k) => k.kid === oldKid);
    assert.equal(retired?.expiresAt, expiresAt);
    assert.equal((await store.listSigningKeys()).find((k) => k.kid === summary.kid)?.rotatedFrom, oldKid);
    assert.deepEqual(
      keys.list().map((k) => [k.kid, k.state, k.expiresAt]),
      [
        [summary.kid, 'active', null],
        [oldKid, 'retired', expiresAt],
      ],
    );

    // A token signed before the rotation still verifies with the JWKS after it.
    const newToken = signToken(keys, 'after rotation');
    assert.equal((await jwtVerify(oldToken, jwkSet(keys))).payload.sub, 'before rotation');
    assert.equal((await jwtVerify(newToken, jwkSet(keys))).payload.sub, 'after rotation');

    clock.advance(expiresAt - 1 - clock.now());
    assert.deepEqual(
      keys.jwks().keys.map((k) => k.kid),
      [summary.kid, oldKid],
    );

    clock.advance(1);
    assert.deepEqual(
      keys.jwks().keys.map((k) => k.kid),
      [summary.kid],
    );
    assert.deepEqual(
      keys.list().map((k) => k.kid),
      [summary.kid],
    );
    await assert.rejects(jwtVerify(oldToken, jwkSet(keys)), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
    await jwtVerify(newToken, jwkSet(keys));
  });

  it('rotate() asks for the longest token lifetime at the time of the rotation', async () => {
    let longest = 600;
    const keys = new SigningKeys(store, clock, audit, {
      alg: 'ES256',
      keyEncryptionKey: () => kek,
      longestTokenLifetime: async () => longest,
      prePublicationMs: 360_000,
      rotationIntervalMs: 0,
    });
    await keys.start();
    const first = keys.activeSigner().kid;
    longest = 86_400;
    await keys.rotate({ immediately: true }, TEST_ACTOR);
    const retired = (await store.listSigningKeys()).find((k) => k.kid === first);
    assert.equal(retired?.expiresAt, clock.now() + 86_400_000 + RETIREMENT_MARGIN_MS);
  });

  it('a later rotation removes retired keys whose time is over from the store', async () => {
    const keys = keyRing('ES256', { longest: 60 });
    await keys.start();
    const k1 = keys.activeSigner().kid;
    clock.advance(1);
    await keys.rotate({ immediately: true }, TEST_ACTOR);
    const k2 = keys.activeSigner().kid;
    clock.advance(60_000 + RETIREMENT_MARGIN_MS);
    await keys.rotate({ immediately: true }, TEST_ACTOR);
    const k3 = keys.activeSigner().kid;
    assert.deepEqual(
      (await store.listSigningKeys()).map((k) => k.kid),
      [k3, k2],
    );
    assert.equal(
      keys.jwks().keys.some((k) => k.kid === k1),
      false,
    );
  });

  it('keeps the private key encrypted at rest: no PKCS#8 DER, PEM or JWK private member in the row', async () => {
    for (const alg of ['RS256', 'ES256', 'EdDSA'] as const) {
      clock.advance(1000);
      const keys = keyRing(alg);
      await keys.start();
      const row = (await store.listSigningKeys()).find((k) => k.kid === keys.activeSigner().kid);
      assert.ok(row);
      assert.match(row.sealedPrivateKey, /^v1\./);

      // The stored value opens to the key that signs, so we know what to look for.
      const privateKey = unsealPrivateKey(row.sealedPrivateKey, row.kid, kek);
      const der = privateKey.export({ format: 'der', type: 'pkcs8' });
      const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
      const pemBody = pem.split('\n').slice(1, -2).join('');
      const d = privateKey.export({ format: 'jwk' }).d ?? '';
      assert.ok(d.length > 0);

      for (const column of [row.sealedPrivateKey, row.publicJwk]) {
        assert.ok(!column.includes('PRIVATE KEY'), `${alg}: PEM armour in a column`);
        assert.ok(!column.includes(pemBody.slice(0, 40)), `${alg}: PEM body in a column`);
        assert.ok(!column.includes(der.toString('base64')), `${alg}: base64 DER in a column`);
        assert.ok(!column.includes(der.toString('base64url')), `${alg}: base64url DER in a column`);
        assert.ok(!column.includes(der.toString('hex')), `${alg}: hex DER in a column`);
        assert.ok(!column.includes(d), `${alg}: JWK d in a column`);
      }
      const sealedBytes = Buffer.from(row.sealedPrivateKey.slice(3), 'base64url');
      assert.equal(sealedBytes.includes(der), false, `${alg}: raw DER inside the sealed value`);
      // The key's own bytes: the tail of the PKCS#8 DER holds the private scalar.
      assert.equal(
        sealedBytes.includes(der.subarray(-32)),
        false,
        `${alg}: private key bytes in the sealed value`,
      );

      // And the signer really uses that key.
      const token = keys.activeSigner().sign({ sub: 'x' });
      await jwtVerify(token, jwkSet(keys));
    }
  });

  it('a SigningKeys with another key encryption key fails reload() and start() with a clear error', async () => {
    await keyRing('ES256').start();
    const wrong = keyRing('ES256', { kek: randomBytes(32) });
    await assert.rejects(wrong.reload(), (error: unknown) => {
      assert.ok(error instanceof KeyEncryptionError, `expected KeyEncryptionError, got ${String(error)}`);
      assert.match(error.message, /key encryption key/);
      return true;
    });
    await assert.rejects(wrong.start(), KeyEncryptionError);
    assert.equal(wrong.ready, false);
    // Nothing was rotated away by the failed start.
    assert.equal((await store.listSigningKeys()).length, 1);
  });

  it('two concurrent start() calls on an empty store end with exactly one active key, shared by both', async () => {
    const a = keyRing('ES256');
    const b = keyRing('ES256');
    await Promise.all([a.start(), b.start()]);
    const rows = await store.listSigningKeys();
    assert.equal(rows.length, 1, 'a second key was made and retired at once');
    assert.deepEqual(
      a.list().map((k) => k.state),
      ['active'],
    );
    assert.equal(a.activeSigner().kid, rows[0]?.kid);
    assert.equal(b.activeSigner().kid, rows[0]?.kid);
  });

  it('concurrent start() calls with RSA (slow key generation) also end with one active key', async () => {
    const rings = [keyRing('RS256'), keyRing('RS256'), keyRing('RS256')];
    await Promise.all(rings.map((r) => r.start()));
    const rows = await store.listSigningKeys();
    assert.equal(rows.length, 1);
    for (const ring of rings) assert.equal(ring.activeSigner().kid, rows[0]?.kid);
  });

  it('reload() picks up a rotation made by another SigningKeys', async () => {
    const server = keyRing('ES256');
    await server.start();
    const cli = keyRing('ES256');
    await cli.start();
    clock.advance(1);
    await cli.rotate({ immediately: true }, TEST_ACTOR);
    assert.notEqual(server.activeSigner().kid, cli.activeSigner().kid);
    await server.reload();
    assert.equal(server.activeSigner().kid, cli.activeSigner().kid);
    assert.equal(server.jwks().keys.length, 2);
  });
});
