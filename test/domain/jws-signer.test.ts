import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeProtectedHeader, importJWK, type JWK, jwtVerify } from 'jose';
import { SIGNING_ALGORITHMS } from '../../src/config/signing-algorithms.js';
import { createJwsSigner } from '../../src/domain/jws-signer.js';
import { generateKeyPairMaterial, publicJwkOf } from '../../src/domain/signing-key-material.js';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

const EXPECTED_KTY = { RS256: 'RSA', PS256: 'RSA', ES256: 'EC', EdDSA: 'OKP' } as const;

describe('createJwsSigner', () => {
  for (const alg of SIGNING_ALGORITHMS) {
    describe(alg, () => {
      it('signs a JWT that jose verifies with the public JWK, with header {alg, typ: at+jwt, kid}', async () => {
        const material = await generateKeyPairMaterial(alg);
        assert.equal(material.alg, alg);
        assert.equal(material.publicJwk.kty, EXPECTED_KTY[alg]);
        assert.equal(material.publicJwk.kid, material.kid);
        assert.equal(material.publicJwk.alg, alg);
        assert.equal(material.publicJwk.use, 'sig');
        for (const member of PRIVATE_MEMBERS) assert.equal(member in material.publicJwk, false, member);

        const signer = createJwsSigner(alg, material.kid, material.privateKey);
        assert.equal(signer.kid, material.kid);
        assert.equal(signer.alg, alg);

        const now = Math.floor(Date.now() / 1000);
        const claims = {
          iss: 'https://issuer.example',
          sub: 'client-1',
          aud: 'https://api.example',
          iat: now,
          exp: now + 600,
          jti: 'jti-1',
          scope: 'api',
          note: 'ünïcode ✓',
        };
        const token = signer.sign(claims);
        assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);

        const key = await importJWK(publicJwkOf(JSON.stringify(material.publicJwk)) as JWK, alg);
        const { payload, protectedHeader } = await jwtVerify(token, key, {
          algorithms: [alg],
          typ: 'at+jwt',
          issuer: 'https://issuer.example',
          audience: 'https://api.example',
        });
        assert.deepEqual(protectedHeader, { alg, typ: 'at+jwt', kid: material.kid });
        assert.deepEqual(payload, claims);
        // Exactly these three members, in this order, as RFC 9068 shows them.
        assert.equal(
          Buffer.from(token.split('.')[0] ?? '', 'base64url').toString(),
          JSON.stringify({ alg, typ: 'at+jwt', kid: material.kid }),
        );
      });

      it('signs each token independently, and a changed payload no longer verifies', async () => {
        const material = await generateKeyPairMaterial(alg);
        const signer = createJwsSigner(alg, material.kid, material.privateKey);
        const key = await importJWK(material.publicJwk, alg);
        const a = signer.sign({ sub: 'a' });
        const b = signer.sign({ sub: 'b' });
        assert.deepEqual(decodeProtectedHeader(a), decodeProtectedHeader(b));
        assert.equal((await jwtVerify(a, key)).payload.sub, 'a');
        assert.equal((await jwtVerify(b, key)).payload.sub, 'b');

        const [header, , signature] = a.split('.');
        const forged = `${header}.${Buffer.from(JSON.stringify({ sub: 'admin' })).toString('base64url')}.${signature}`;
        await assert.rejects(jwtVerify(forged, key), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
      });

      it('a token does not verify under another key of the same algorithm', async () => {
        const material = await generateKeyPairMaterial(alg);
        const other = await generateKeyPairMaterial(alg);
        assert.notEqual(material.kid, other.kid);
        const token = createJwsSigner(alg, material.kid, material.privateKey).sign({ sub: 'x' });
        await assert.rejects(jwtVerify(token, await importJWK(other.publicJwk, alg)), {
          code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
        });
      });
    });
  }
});

describe('publicJwkOf', () => {
  for (const alg of SIGNING_ALGORITHMS) {
    it(`keeps only public members of a ${alg} JWK even when the stored JSON holds the private key`, async () => {
      const material = await generateKeyPairMaterial(alg);
      const privateJwk = material.privateKey.export({ format: 'jwk' });
      assert.ok('d' in privateJwk, 'the test needs a JWK with private members');
      const stored = JSON.stringify({
        ...privateJwk,
        kid: material.kid,
        alg,
        use: 'sig',
        k: 'symmetric-secret',
        oth: [{ r: 'x', d: 'y', t: 'z' }],
        extra: 'unknown member',
      });

      const jwk = publicJwkOf(stored);
      for (const member of PRIVATE_MEMBERS) {
        assert.equal(member in jwk, false, `${member} leaked into the public JWK`);
      }
      assert.equal('extra' in jwk, false);
      assert.deepEqual(jwk, material.publicJwk);

      // It is still a usable verification key.
      const token = createJwsSigner(alg, material.kid, material.privateKey).sign({ sub: 'x' });
      await jwtVerify(token, await importJWK(jwk as JWK, alg));
    });
  }

  it('keeps kid, alg and use, and drops members that are absent', () => {
    assert.deepEqual(
      publicJwkOf(JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: 'abc', kid: 'k', d: 'secret' })),
      {
        kty: 'OKP',
        crv: 'Ed25519',
        x: 'abc',
        kid: 'k',
      },
    );
  });
});
