import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

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
    assert.equal(response.headers['cache-control'], 'public, max-age=300');
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
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
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

describe('health', () => {
  it('/healthz answers while the process runs; /readyz while it can issue tokens', async () => {
    assert.deepEqual((await server.app.inject('/healthz')).json(), { status: 'ok' });
    const ready = await server.app.inject('/readyz');
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json(), { status: 'ready' });
  });
});

describe('health with the database gone', () => {
  it('/readyz says not ready, and an uncached client gets a generic server_error with no detail', async () => {
    const broken = await startTestServer();
    try {
      const client = await broken.createClient();
      await broken.services.store.close();
      const ready = await broken.app.inject('/readyz');
      assert.equal(ready.statusCode, 503);
      assert.equal(ready.json().status, 'not_ready');
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
      assert.equal(response.statusCode, 500);
      assert.equal(response.json().error, 'server_error');
      assert.doesNotMatch(response.body, /sqlite|destroyed|stack|at /i);
    } finally {
      await broken.close();
    }
  });
});
