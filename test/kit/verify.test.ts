import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import {
  BearerTokenError,
  createAccessTokenVerifier,
  verifyAccessToken,
} from '../../src/kit/verify/index.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { HandMadeIssuer } from './hand-made-issuer.js';
import { type KitServer, startKitServer } from './kit-server.js';

/** Asserts a BearerTokenError with `code` whose description matches `description`. */
async function rejectsWith(promise: Promise<unknown>, code: string, description: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof BearerTokenError, String(error));
    assert.equal(error.code, code);
    assert.match(error.description, description);
    return true;
  });
}

describe('verifyAccessToken against a running server', { timeout: 120_000 }, () => {
  for (const alg of ['RS256', 'PS256', 'ES256', 'EdDSA']) {
    describe(`signing with ${alg}`, () => {
      let kit: KitServer;
      before(async () => {
        kit = await startKitServer({ SIGNING_ALG: alg });
      });
      after(() => kit?.close());

      it('verifies an api token and a customer token, and names the scope they lack', async () => {
        const api = await kit.issueToken('api');
        assert.equal(decodeProtectedHeader(api).alg, alg);
        const claims = await verifyAccessToken(api, { issuer: kit.issuer, scope: 'api' });
        assert.equal(claims.client_id, kit.client.clientId);
        assert.equal(claims.scope, 'api');

        const customer = await kit.issueToken(`customer.${kit.customerId}`);
        const customerClaims = await verifyAccessToken(customer, {
          issuer: kit.issuer,
          customerId: kit.customerId,
        });
        assert.equal(customerClaims.customer_id, kit.customerId);

        await rejectsWith(
          verifyAccessToken(api, { issuer: kit.issuer, customerId: kit.customerId }),
          'insufficient_scope',
          /customer\./,
        );
        await rejectsWith(
          verifyAccessToken(customer, { issuer: kit.issuer, scope: 'api' }),
          'insufficient_scope',
          /'api'/,
        );
      });
    });
  }

  describe('one server', () => {
    let kit: KitServer;
    before(async () => {
      kit = await startKitServer();
    });
    after(() => kit?.close());

    it('fetches discovery and the JWKS once for many tokens', async () => {
      const verifier = createAccessTokenVerifier({ issuer: kit.issuer });
      const jwksBefore = kit.proxy.count('GET /.well-known/jwks.json');
      const tokens = await Promise.all(Array.from({ length: 5 }, () => kit.issueToken()));
      await Promise.all(tokens.map((token) => verifier.verify(token, { scope: 'api' })));
      for (const token of tokens) await verifier.verify(token);
      assert.equal(kit.proxy.count('GET /.well-known/jwks.json') - jwksBefore, 1);
    });

    it('verifies a token signed by a key rotated --now at once, refetching the JWKS once', async () => {
      const verifier = createAccessTokenVerifier({ issuer: kit.issuer });
      await verifier.verify(await kit.issueToken());
      const jwksBefore = kit.proxy.count('GET /.well-known/jwks.json');
      const oldKid = decodeProtectedHeader(await kit.issueToken()).kid;
      await kit.server.services.keys.rotate({ immediately: true }, 'test');
      const token = await kit.issueToken();
      assert.notEqual(decodeProtectedHeader(token).kid, oldKid);
      await new Promise((resolve) => setTimeout(resolve, 1_000)); // the refetch is paced at 1 per second
      const claims = await verifier.verify(token, { scope: 'api' });
      assert.equal(claims.client_id, kit.client.clientId);
      assert.equal(kit.proxy.count('GET /.well-known/jwks.json') - jwksBefore, 1);
    });

    it('refetches at most once a second for tokens naming unknown keys', async () => {
      const verifier = createAccessTokenVerifier({ issuer: kit.issuer });
      const good = await kit.issueToken();
      await verifier.verify(good);
      const [header = '', payload, signature] = good.split('.');
      const forged = (n: number) =>
        [
          Buffer.from(
            JSON.stringify({
              ...JSON.parse(Buffer.from(header, 'base64url').toString()),
              kid: `made-up-${n}`,
            }),
          ).toString('base64url'),
          payload,
          signature,
        ].join('.');
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const jwksBefore = kit.proxy.count('GET /.well-known/jwks.json');
      for (let n = 0; n < 20; n++)
        await rejectsWith(verifier.verify(forged(n)), 'invalid_token', /key the issuer does not publish/);
      assert.equal(kit.proxy.count('GET /.well-known/jwks.json') - jwksBefore, 1);
    });

    it('refuses a token with a broken signature, a foreign issuer or another audience', async () => {
      const token = await kit.issueToken();
      const [header, payload, signature = ''] = token.split('.');
      const flipped = `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
      await rejectsWith(verifyAccessToken(flipped, { issuer: kit.issuer }), 'invalid_token', /signature/);
      await rejectsWith(verifyAccessToken('not.a.jwt', { issuer: kit.issuer }), 'invalid_token', /malformed/);
      await rejectsWith(
        verifyAccessToken(token, { issuer: kit.issuer, audience: 'https://other.example' }),
        'invalid_token',
        /aud/,
      );
    });

    it('sees a revoked token in introspection mode, and answers from its cache in between', async () => {
      const verifier = createAccessTokenVerifier({
        issuer: kit.issuer,
        introspection: { ...kit.client, cacheMs: 300 },
      });
      const token = await kit.issueToken();
      const before = kit.proxy.count('POST /oauth2/introspect');
      await verifier.verify(token);
      await verifier.verify(token);
      assert.equal(kit.proxy.count('POST /oauth2/introspect') - before, 1);
      await kit.revoke(token);
      await verifyAccessToken(token, { issuer: kit.issuer }); // a JWT alone cannot know
      await new Promise((resolve) => setTimeout(resolve, 400));
      await rejectsWith(verifier.verify(token), 'invalid_token', /not active/);
    });

    it('fails with an error that is not a BearerTokenError when the issuer is out of reach', async () => {
      const verifier = createAccessTokenVerifier({ issuer: 'http://127.0.0.1:9' });
      await assert.rejects(
        verifier.verify(await kit.issueToken()),
        (error) => !(error instanceof BearerTokenError),
      );
    });
  });

  it('refuses an expired token', async () => {
    const kit = await startKitServer({}, new FakeClock(Date.now() - 3 * 3600_000));
    try {
      await rejectsWith(
        verifyAccessToken(await kit.issueToken(), { issuer: kit.issuer }),
        'invalid_token',
        /expired/,
      );
    } finally {
      await kit.close();
    }
  });

  describe('what lean-auth never issues (a hand-made issuer)', () => {
    let issuer: HandMadeIssuer;
    before(async () => {
      issuer = await HandMadeIssuer.start();
    });
    after(() => issuer?.close());

    const verify = (token: string) => verifyAccessToken(token, { issuer: issuer.issuer });

    it('accepts a well-formed token', async () => {
      assert.equal((await verify(await issuer.sign())).scope, 'api');
    });
    it('refuses a typ other than at+jwt (RFC 9068 §4)', async () => {
      await rejectsWith(verify(await issuer.sign({}, { typ: 'JWT' })), 'invalid_token', /typ/);
    });
    for (const claim of ['iss', 'aud', 'exp', 'iat', 'sub', 'jti', 'client_id', 'scope']) {
      it(`refuses a token without ${claim}`, async () => {
        await rejectsWith(
          verify(await issuer.sign({ [claim]: undefined })),
          'invalid_token',
          new RegExp(claim),
        );
      });
    }
    it('refuses an iat in the future', async () => {
      await rejectsWith(
        verify(await issuer.sign({ iat: Math.floor(Date.now() / 1000) + 3600 })),
        'invalid_token',
        /iat/,
      );
    });
    it("keeps the JWKS no longer than its Cache-Control max-age (a withdrawn key's promise)", async () => {
      const verifier = createAccessTokenVerifier({ issuer: issuer.issuer });
      const token = await issuer.sign();
      issuer.jwksCacheControl = 'public, max-age=1';
      const before = issuer.jwksFetches;
      await verifier.verify(token);
      await verifier.verify(token);
      assert.equal(issuer.jwksFetches - before, 1);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      await verifier.verify(token);
      assert.equal(issuer.jwksFetches - before, 2);
      issuer.jwksCacheControl = 'no-store';
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      await verifier.verify(token);
      await verifier.verify(token);
      assert.equal(issuer.jwksFetches - before, 4);
      issuer.jwksCacheControl = undefined;
    });
    it("accepts an iat up to the server's 60 seconds ahead (another instance's clock)", async () => {
      assert.equal(
        (await verify(await issuer.sign({ iat: Math.floor(Date.now() / 1000) + 30 }))).scope,
        'api',
      );
      await rejectsWith(
        verify(await issuer.sign({ iat: Math.floor(Date.now() / 1000) + 90 })),
        'invalid_token',
        /iat/,
      );
    });
    it('refuses an aud array even when it holds the audience, as the server does', async () => {
      await rejectsWith(
        verify(await issuer.sign({ aud: [issuer.issuer, 'https://other.example'] })),
        'invalid_token',
        /aud/,
      );
      await rejectsWith(verify(await issuer.sign({ aud: [issuer.issuer] })), 'invalid_token', /aud/);
    });
    it('refuses an unsigned token (alg none)', async () => {
      const good = await issuer.sign();
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: 'hand-made' })).toString(
        'base64url',
      );
      await rejectsWith(verify(`${header}.${good.split('.')[1]}.`), 'invalid_token', /algorithm|malformed/);
    });
  });
});
