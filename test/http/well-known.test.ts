import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import { pino } from 'pino';
import { JWKS_MAX_AGE_SECONDS } from '../../src/domain/signing-keys.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { expectOAuthError, startTestServer, TEST_ACTOR, type TestServer } from '../helpers/test-server.js';

let server: TestServer;
before(async () => {
  server = await startTestServer({
    env: { ISSUER: 'https://auth.example.test/', TOKEN_AUDIENCE: 'https://api.example.test' },
  });
});
after(() => server.close());

describe('GET /.well-known/jwks.json', () => {
  it('publishes the public signing key with a cache lifetime, and nothing private', async () => {
    const response = await server.app.inject('/.well-known/jwks.json');
    assert.equal(response.statusCode, 200);
    // Short, so that a withdrawn key is soon trusted nowhere (docs/security.md).
    assert.equal(response.headers['cache-control'], 'public, max-age=60');
    const { keys } = response.json();
    assert.equal(keys.length, 1);
    const [key] = keys;
    assert.equal(key.kid, server.services.keys.activeSigner().kid);
    assert.equal(key.alg, 'RS256');
    assert.equal(key.use, 'sig');
    assert.equal(key.kty, 'RSA');
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(key[member], undefined, member);
  });
});

describe('RFC 8414 metadata', () => {
  it('describes exactly what the server does', async () => {
    const response = await server.app.inject('/.well-known/oauth-authorization-server');
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), {
      issuer: 'https://auth.example.test',
      token_endpoint: 'https://auth.example.test/oauth2/token',
      jwks_uri: 'https://auth.example.test/.well-known/jwks.json',
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519'],
      introspection_endpoint: 'https://auth.example.test/oauth2/introspect',
      introspection_endpoint_auth_methods_supported: [
        'client_secret_basic',
        'client_secret_post',
        'private_key_jwt',
      ],
      introspection_endpoint_auth_signing_alg_values_supported: [
        'RS256',
        'PS256',
        'ES256',
        'EdDSA',
        'Ed25519',
      ],
      revocation_endpoint: 'https://auth.example.test/oauth2/revoke',
      revocation_endpoint_auth_methods_supported: [
        'client_secret_basic',
        'client_secret_post',
        'private_key_jwt',
      ],
      revocation_endpoint_auth_signing_alg_values_supported: ['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519'],
      dpop_signing_alg_values_supported: ['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519'],
      scopes_supported: ['api'],
      response_types_supported: [],
    });
  });

  it('serves the same document at /.well-known/openid-configuration', async () => {
    const a = await server.app.inject('/.well-known/oauth-authorization-server');
    const b = await server.app.inject('/.well-known/openid-configuration');
    assert.equal(b.statusCode, 200);
    assert.deepEqual(b.json(), a.json());
  });

  it('puts the configured issuer and audience into tokens', async () => {
    const client = await server.createClient();
    const response = await server.app.inject({
      method: 'POST',
      url: '/oauth2/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        grant_type: 'client_credentials',
        scope: 'api',
        client_id: client.clientId,
        client_secret: client.clientSecret,
      }).toString(),
    });
    const payload = JSON.parse(
      Buffer.from(response.json().access_token.split('.')[1], 'base64url').toString(),
    );
    assert.equal(payload.iss, 'https://auth.example.test');
    assert.equal(payload.aud, 'https://api.example.test');
  });
});

describe('key rotation, as a verifier that caches the JWKS sees it', () => {
  it('publishes the next key before it signs, then keeps the old key until its tokens have expired', async () => {
    const clock = new FakeClock();
    const timed = await startTestServer({ clock });
    try {
      const app = await timed.createClient();
      const kids = async () =>
        ((await timed.app.inject('/.well-known/jwks.json')).json().keys as { kid: string }[]).map(
          (k) => k.kid,
        );
      const tokenKid = async () => decodeProtectedHeader(await timed.issueToken(app)).kid;
      const isActive = async (token: string) =>
        (await timed.postForm('/oauth2/introspect', { token }, app)).json().active === true;

      const oldKid = await tokenKid();
      const oldToken = await timed.issueToken(app);
      clock.advance(60_000);
      const next = await timed.services.keys.rotate({ immediately: false }, TEST_ACTOR);
      assert.equal(next.state, 'next');
      assert.ok(next.activatesAt >= clock.now() + JWKS_MAX_AGE_SECONDS * 1000, 'ahead by at least max-age');

      // Published at once, so a JWKS fetched now (and cached for max-age) already knows the kid ...
      assert.deepEqual((await kids()).sort(), [next.kid, oldKid].sort());
      // ... while the old key goes on signing.
      assert.equal(await tokenKid(), oldKid);
      clock.advance(JWKS_MAX_AGE_SECONDS * 1000);
      assert.equal(await tokenKid(), oldKid, 'not yet at max-age');

      clock.advance(next.activatesAt - clock.now());
      assert.equal(await tokenKid(), next.kid, 'signs from activatesAt');
      assert.deepEqual((await kids()).sort(), [next.kid, oldKid].sort(), 'the old key stays published');
      assert.equal(await isActive(oldToken), true, 'a token of the retired key is still good');

      // The old key leaves once nothing it signed can be valid: the longest lifetime after the swap.
      clock.advance(3600_000 + 120_000);
      assert.deepEqual(await kids(), [next.kid]);
      assert.equal(await isActive(oldToken), false);
    } finally {
      await timed.close();
    }
  });
});

describe('health', () => {
  it('/healthz answers while the process runs; /readyz while it can issue tokens', async () => {
    assert.deepEqual((await server.app.inject('/healthz')).json(), { status: 'ok' });
    const ready = await server.app.inject('/readyz');
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json(), { status: 'ready' });
  });
});

describe('health with the database gone', () => {
  it('/readyz says not ready; an uncached client gets 503 temporarily_unavailable with Retry-After and no detail, a cached one its token', async () => {
    const logLines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: 'warn' },
      { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) },
    );
    const broken = await startTestServer({ logger });
    try {
      const client = await broken.createClient();
      const cached = await broken.createClient();
      await broken.issueToken(cached);
      await broken.services.store.close();
      const ready = await broken.app.inject('/readyz');
      assert.equal(ready.statusCode, 503);
      // A short reason code, never the driver's words.
      assert.deepEqual(ready.json(), { status: 'not_ready', reason: 'database_unreachable' });
      for (let i = 0; i < 5; i++) assert.equal((await broken.app.inject('/readyz')).statusCode, 503);
      const notReady = logLines.filter((record) => record.msg === 'not ready');
      assert.equal(notReady.length, 1, 'one warning for many probes');
      assert.equal(notReady[0]?.reason, 'database_unreachable');
      assert.equal(typeof notReady[0]?.detail, 'string');
      assert.ok(!JSON.stringify(notReady).includes('stack'), 'no stack trace');
      assert.equal((await broken.app.inject('/healthz')).statusCode, 200);

      const response = await broken.app.inject({
        method: 'POST',
        url: '/oauth2/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({
          grant_type: 'client_credentials',
          scope: 'api',
          client_id: client.clientId,
          client_secret: client.clientSecret,
        }).toString(),
      });
      expectOAuthError(response, 503, 'temporarily_unavailable', /retry/);
      assert.match(String(response.headers['retry-after']), /^[1-9]\d*$/);
      assert.doesNotMatch(response.body, /sqlite|destroyed|stack|at /i);

      // Issuance goes on for what is cached (DESIGN: scale-out).
      assert.ok(await broken.issueToken(cached));
    } finally {
      await broken.close();
    }
  });
});
