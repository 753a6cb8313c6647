import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, type JWTPayload, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { pino } from 'pino';
import { type RunningServer, startServer } from '../../src/server/start-server.js';
import { freePort } from '../helpers/child-process.js';
import { TEST_ACTOR, tempDir, testConfig } from '../helpers/test-server.js';

interface RecordedRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}

/** openid-client's fetch, recording what it sends, so that a test can see which auth method was used. */
function recordingFetch(requests: RecordedRequest[]): client.CustomFetch {
  return (url, options) => {
    requests.push({
      url,
      method: options.method,
      headers: Object.fromEntries(new Headers(options.headers)),
      body: options.body === undefined || options.body === null ? '' : String(options.body),
    });
    return fetch(url, options);
  };
}

describe('openid-client against a running server', { timeout: 120_000 }, () => {
  const temp = tempDir();
  let server: RunningServer;
  let issuer: string;
  let clientId: string;
  let clientSecret: string;
  let customerId: string;
  let jwks: ReturnType<typeof createRemoteJWKSet>;

  before(async () => {
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    server = await startServer(
      testConfig(temp.dir, { PORT: String(port), ISSUER: issuer }),
      pino({ level: 'silent' }),
    );
    const created = await server.services.applications.create({ name: 'openid-client' }, TEST_ACTOR);
    clientId = created.application.clientId;
    clientSecret = created.clientSecret;
    customerId = (await server.services.customers.create(clientId, 'end-user-1', TEST_ACTOR)).customerId;
  });

  after(async () => {
    await server?.close();
    temp.remove();
  });

  async function verify(token: string): Promise<JWTPayload> {
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      issuer,
      audience: issuer,
      typ: 'at+jwt',
    });
    assert.equal(protectedHeader.alg, 'RS256');
    assert.ok(protectedHeader.kid);
    return payload;
  }

  it('serves the same discovery document at openid-configuration and oauth-authorization-server', async () => {
    const oidc = await fetch(`${issuer}/.well-known/openid-configuration`);
    const oauth = await fetch(`${issuer}/.well-known/oauth-authorization-server`);
    assert.equal(oidc.status, 200);
    assert.equal(oauth.status, 200);
    assert.match(oidc.headers.get('content-type') ?? '', /^application\/json/);
    const document = (await oauth.json()) as Record<string, string | string[]>;
    assert.deepEqual(await oidc.json(), document);
    assert.equal(document.issuer, issuer);
    assert.equal(document.token_endpoint, `${issuer}/oauth2/token`);
    assert.equal(document.jwks_uri, `${issuer}/.well-known/jwks.json`);
    assert.deepEqual(document.grant_types_supported, ['client_credentials']);
    assert.deepEqual([...(document.token_endpoint_auth_methods_supported ?? [])].sort(), [
      'client_secret_basic',
      'client_secret_post',
      'private_key_jwt',
    ]);
    assert.equal(document.introspection_endpoint, `${issuer}/oauth2/introspect`);
    assert.equal(document.revocation_endpoint, `${issuer}/oauth2/revoke`);
    for (const member of [
      'introspection_endpoint_auth_methods_supported',
      'revocation_endpoint_auth_methods_supported',
    ]) {
      assert.deepEqual(
        [...(document[member] ?? [])].sort(),
        ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
        member,
      );
    }
  });

  for (const [method, auth] of [
    ['client_secret_post', client.ClientSecretPost],
    ['client_secret_basic', client.ClientSecretBasic],
  ] as const) {
    describe(`with ${method}`, () => {
      const requests: RecordedRequest[] = [];
      let config: client.Configuration;

      before(async () => {
        config = await client.discovery(new URL(issuer), clientId, undefined, auth(clientSecret), {
          execute: [client.allowInsecureRequests],
          [client.customFetch]: recordingFetch(requests),
        });
        config[client.customFetch] = recordingFetch(requests);
        jwks = createRemoteJWKSet(new URL(String(config.serverMetadata().jwks_uri)));
      });

      it('discovers the server from its issuer', () => {
        const metadata = config.serverMetadata();
        assert.equal(metadata.issuer, issuer);
        assert.equal(metadata.token_endpoint, `${issuer}/oauth2/token`);
        assert.equal(metadata.jwks_uri, `${issuer}/.well-known/jwks.json`);
        assert.equal(metadata.introspection_endpoint, `${issuer}/oauth2/introspect`);
        assert.equal(metadata.revocation_endpoint, `${issuer}/oauth2/revoke`);
        assert.equal(requests[0]?.url, `${issuer}/.well-known/openid-configuration`);
      });

      it('gets an api token whose claims are those of RFC 9068', async () => {
        const sent = requests.length;
        const tokens = await client.clientCredentialsGrant(config, { scope: 'api' });
        assert.equal(tokens.token_type, 'bearer');
        assert.equal(tokens.scope, 'api');
        assert.equal(tokens.expires_in, 3600);
        // expiresIn() counts down from the response: a second boundary may pass in between.
        assert.ok([3599, 3600].includes(tokens.expiresIn() ?? 0), String(tokens.expiresIn()));

        const request = requests[sent];
        assert.equal(request?.url, `${issuer}/oauth2/token`);
        const body = new URLSearchParams(request?.body);
        if (method === 'client_secret_basic') {
          assert.match(request?.headers.authorization ?? '', /^Basic /);
          assert.equal(body.get('client_secret'), null);
        } else {
          assert.equal(request?.headers.authorization, undefined);
          assert.equal(body.get('client_id'), clientId);
          assert.equal(body.get('client_secret'), clientSecret);
        }

        const claims = await verify(tokens.access_token);
        assert.equal(claims.sub, clientId);
        assert.equal(claims.client_id, clientId);
        assert.equal(claims.scope, 'api');
        assert.equal(claims.customer_id, undefined);
        assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), tokens.expires_in);
        assert.equal(typeof claims.jti, 'string');
        assert.ok(Math.abs((claims.iat ?? 0) - Date.now() / 1000) < 60, 'iat is now');
      });

      it('gets a customer token carrying the customer_id', async () => {
        const scope = `customer.${customerId}`;
        const tokens = await client.clientCredentialsGrant(config, { scope });
        assert.equal(tokens.scope, scope);
        assert.equal(tokens.expires_in, 3600);
        const claims = await verify(tokens.access_token);
        assert.equal(claims.sub, clientId);
        assert.equal(claims.client_id, clientId);
        assert.equal(claims.scope, scope);
        assert.equal(claims.customer_id, customerId);
        assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 3600);
      });

      it('gives every token its own jti', async () => {
        const [first, second] = await Promise.all([
          client.clientCredentialsGrant(config, { scope: 'api' }),
          client.clientCredentialsGrant(config, { scope: 'api' }),
        ]);
        const a = await verify(first?.access_token ?? '');
        const b = await verify(second?.access_token ?? '');
        assert.ok(a.jti && b.jti);
        assert.notEqual(a.jti, b.jti);
        assert.equal(
          decodeProtectedHeader(first?.access_token ?? '').kid,
          decodeProtectedHeader(second?.access_token ?? '').kid,
        );
      });

      /** Asserts that `request` went to `path` and authenticated by this describe's method. */
      function assertAuthenticated(request: RecordedRequest | undefined, path: string): void {
        assert.equal(request?.url, `${issuer}${path}`);
        assert.equal(request?.method, 'POST');
        const body = new URLSearchParams(request?.body);
        if (method === 'client_secret_basic') {
          assert.match(request?.headers.authorization ?? '', /^Basic /);
          assert.equal(body.get('client_secret'), null);
        } else {
          assert.equal(request?.headers.authorization, undefined);
          assert.equal(body.get('client_secret'), clientSecret);
        }
      }

      for (const scope of ['api', 'customer']) {
        it(`introspects an active ${scope} token, revokes it, then introspects it as inactive`, async () => {
          const tokens = await client.clientCredentialsGrant(config, {
            scope: scope === 'api' ? 'api' : `customer.${customerId}`,
          });
          const token = tokens.access_token;
          const claims = await verify(token);

          let sent = requests.length;
          const active = await client.tokenIntrospection(config, token);
          assertAuthenticated(requests[sent], '/oauth2/introspect');
          assert.deepEqual({ ...active }, { active: true, token_type: 'bearer', ...claims });
          assert.equal(active.client_id, clientId);
          assert.equal(active.sub, clientId);
          assert.equal(active.scope, tokens.scope);
          assert.equal(active.customer_id, scope === 'api' ? undefined : customerId);

          sent = requests.length;
          assert.equal(await client.tokenRevocation(config, token), undefined);
          assertAuthenticated(requests[sent], '/oauth2/revoke');

          const inactive = await client.tokenIntrospection(config, token);
          assert.deepEqual({ ...inactive }, { active: false });
          // Revoking it again is still a success (RFC 7009 §2.2).
          await client.tokenRevocation(config, token);
        });
      }

      it('surfaces a wrong secret as a 401 invalid_client (with a Basic challenge after Basic)', async () => {
        const wrong = await client.discovery(new URL(issuer), clientId, undefined, auth(`${clientSecret}x`), {
          execute: [client.allowInsecureRequests],
        });
        let rejection: unknown;
        await client.clientCredentialsGrant(wrong, { scope: 'api' }).catch((error: unknown) => {
          rejection = error;
        });
        if (method === 'client_secret_basic') {
          // RFC 6749 §5.2: a failed Basic attempt is answered with a challenge, which openid-client reports first.
          assert.ok(rejection instanceof client.WWWAuthenticateChallengeError, String(rejection));
          assert.equal(rejection.status, 401);
          assert.equal(rejection.cause[0]?.scheme, 'basic');
          const body = (await rejection.response.json()) as { error: string; error_description: string };
          assert.equal(body.error, 'invalid_client');
        } else {
          assert.ok(rejection instanceof client.ResponseBodyError, String(rejection));
          assert.equal(rejection.status, 401);
          assert.equal(rejection.error, 'invalid_client');
        }
      });

      it('surfaces an unknown customer as invalid_scope', async () => {
        await assert.rejects(
          client.clientCredentialsGrant(config, { scope: 'customer.00000000-0000-4000-8000-000000000000' }),
          (error: unknown) => {
            assert.ok(error instanceof client.ResponseBodyError, String(error));
            assert.equal(error.error, 'invalid_scope');
            assert.equal(error.status, 400);
            return true;
          },
        );
      });
    });
  }
});
