import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { AUTHENTICATION_FAILED } from '../../src/oauth/client-authentication.js';
import { FakeClock } from '../helpers/fake-clock.js';
import {
  type AuthMethod,
  type ClientCredentials,
  expectOAuthError,
  startTestServer,
  TEST_ACTOR,
  type TestServer,
} from '../helpers/test-server.js';

const INTROSPECT = '/oauth2/introspect';
const INACTIVE = '{"active":false}';
const RFC_7662_MEMBERS = [
  'active',
  'aud',
  'client_id',
  'exp',
  'iat',
  'iss',
  'jti',
  'scope',
  'sub',
  'token_type',
];

let server: TestServer;
let client: ClientCredentials;
let customerId: string;

before(async () => {
  server = await startTestServer();
  client = await server.createClient();
  customerId = (await server.services.customers.create(client.clientId, 'user-1', TEST_ACTOR)).customerId;
});
after(() => server.close());

function introspect(
  token: string,
  caller: ClientCredentials = client,
  method: AuthMethod = 'client_secret_post',
  on: TestServer = server,
) {
  return on.postForm(INTROSPECT, { token }, caller, method);
}

/** Asserts exactly `{"active":false}` (RFC 7662 §2.2: nothing else about an inactive token). */
function expectInactive(response: Awaited<ReturnType<typeof introspect>>, what: string): void {
  assert.equal(response.statusCode, 200, `${what}: ${response.body}`);
  assert.match(String(response.headers['content-type']), /^application\/json/);
  assert.equal(response.body, INACTIVE, what);
  assert.deepEqual(response.json(), { active: false });
}

/** Asserts an active answer with exactly the RFC 7662 members, equal to the token's own claims. */
function expectActive(response: Awaited<ReturnType<typeof introspect>>, token: string): void {
  assert.equal(response.statusCode, 200, response.body);
  assert.equal(response.headers['cache-control'], 'no-store');
  const claims = decodeJwt(token);
  assert.deepEqual(response.json(), { active: true, token_type: 'bearer', ...claims });
}

describe('POST /oauth2/introspect: active tokens', () => {
  it('answers an api token with exactly the RFC 7662 members (client_secret_post)', async () => {
    const token = await server.issueToken(client);
    const response = await introspect(token);
    expectActive(response, token);
    const body = response.json();
    assert.deepEqual(Object.keys(body).sort(), RFC_7662_MEMBERS);
    assert.equal(body.active, true);
    assert.equal(body.token_type, 'bearer');
    assert.equal(body.scope, 'api');
    assert.equal(body.client_id, client.clientId);
    assert.equal(body.sub, client.clientId);
    assert.equal(body.iss, server.config.issuer);
    assert.equal(body.aud, server.config.tokenAudience);
    assert.equal(body.exp - body.iat, 3600);
    assert.match(body.jti, /^[0-9a-f-]{36}$/);
  });

  it('answers a customer token with customer_id too (client_secret_basic)', async () => {
    const token = await server.issueToken(client, `customer.${customerId}`);
    const response = await introspect(token, client, 'client_secret_basic');
    expectActive(response, token);
    const body = response.json();
    assert.deepEqual(Object.keys(body).sort(), [...RFC_7662_MEMBERS, 'customer_id'].sort());
    assert.equal(body.customer_id, customerId);
    assert.equal(body.scope, `customer.${customerId}`);
  });

  it('ignores token_type_hint and unknown parameters', async () => {
    const token = await server.issueToken(client);
    const response = await server.postForm(
      INTROSPECT,
      { token, token_type_hint: 'access_token', extra: 'x' },
      client,
    );
    expectActive(response, token);
  });

  it('lets a resource server introspect another application’s token', async () => {
    const resourceServer = await server.createClient({ name: 'resource server', resourceServer: true });
    const token = await server.issueToken(client, `customer.${customerId}`);
    const response = await introspect(token, resourceServer);
    expectActive(response, token);
    assert.equal(response.json().client_id, client.clientId);
  });

  it('follows the resource-server flag as soon as it changes', async () => {
    const caller = await server.createClient({ name: 'becomes a resource server' });
    const token = await server.issueToken(client);
    expectInactive(await introspect(token, caller), 'before the flag is set');
    await server.services.applications.update(caller.clientId, { resourceServer: true }, TEST_ACTOR);
    expectActive(await introspect(token, caller), token);
    await server.services.applications.update(caller.clientId, { resourceServer: false }, TEST_ACTOR);
    expectInactive(await introspect(token, caller), 'after the flag is cleared');
  });

  it('keeps tokens issued before a secret rotation active', async () => {
    const app = await server.createClient();
    const token = await server.issueToken(app);
    const rotated = await server.services.applications.rotateSecret(
      app.clientId,
      { graceSeconds: 0 },
      TEST_ACTOR,
    );
    const renewed = { clientId: app.clientId, clientSecret: rotated.clientSecret };
    expectActive(await introspect(token, renewed), token);
    // The old secret stopped at once (grace 0): the token outlives the credential that obtained it.
    expectOAuthError(await introspect(token, app), 401, 'invalid_client', new RegExp(AUTHENTICATION_FAILED));
  });

  it('honours both secrets during a rotation’s grace period, then only the new one', async () => {
    const clock = new FakeClock();
    const timed = await startTestServer({ clock });
    try {
      const first = await timed.createClient();
      const oldToken = await timed.issueToken(first);
      const rotate = async (graceSeconds: number) => ({
        clientId: first.clientId,
        clientSecret: (
          await timed.services.applications.rotateSecret(first.clientId, { graceSeconds }, TEST_ACTOR)
        ).clientSecret,
      });
      const second = await rotate(600);
      const works = async (credentials: ClientCredentials) =>
        (await introspect(oldToken, credentials, 'client_secret_basic', timed)).statusCode === 200;

      clock.advance(599_000);
      assert.deepEqual([await works(first), await works(second)], [true, true], 'within the grace period');
      const graceToken = await timed.issueToken(first);
      expectActive(await introspect(graceToken, second, 'client_secret_post', timed), graceToken);

      clock.advance(1_000);
      assert.deepEqual([await works(first), await works(second)], [false, true], 'at the grace deadline');
      expectActive(await introspect(oldToken, second, 'client_secret_post', timed), oldToken);

      // A rotation during the grace period ends the older secret at once: never three live secrets.
      const third = await rotate(600);
      const fourth = await rotate(600);
      assert.deepEqual(
        [await works(second), await works(third), await works(fourth)],
        [false, true, true],
        'only the last two',
      );
    } finally {
      await timed.close();
    }
  });
});

describe('POST /oauth2/introspect: inactive tokens are exactly {"active":false}', () => {
  it('for malformed strings', async () => {
    const token = await server.issueToken(client);
    const [header, payload, signature] = token.split('.');
    const tampered = JSON.stringify({ ...decodeJwt(token), scope: `customer.${customerId}` });
    for (const malformed of [
      'garbage',
      'a.b.c',
      '...',
      `${header}.${payload}`,
      `${header}.${payload}.`,
      `${header}.${Buffer.from(tampered).toString('base64url')}.${signature}`,
      `${token}x`,
      `${header}.${payload}.${signature}.${signature}`,
      // alg none, no signature
      `${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.${payload}.`,
      ' '.repeat(100),
      'é'.repeat(50),
    ]) {
      expectInactive(await introspect(malformed), JSON.stringify(malformed));
    }
  });

  it('for an unknown token: one issued by another lean-auth (same issuer, other keys)', async () => {
    const other = await startTestServer();
    try {
      const stranger = await other.issueToken(await other.createClient());
      assert.equal(other.config.issuer, server.config.issuer);
      expectInactive(await introspect(stranger), 'a token of another server');
    } finally {
      await other.close();
    }
  });

  it('for a JWT signed by a foreign key that claims our kid and issuer', async () => {
    const genuine = decodeJwt(await server.issueToken(client));
    const { kid } = decodeProtectedHeader(await server.issueToken(client));
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT({ ...genuine, jti: randomUUID() })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid })
      .sign(privateKey);
    expectInactive(await introspect(forged), 'a forged token');

    // Algorithm confusion: HMAC keyed with our published public key.
    const [publicJwk] = server.services.keys.jwks().keys;
    const confused = await new SignJWT({ ...genuine, jti: randomUUID() })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid })
      .sign(new TextEncoder().encode(JSON.stringify(publicJwk)));
    expectInactive(await introspect(confused), 'an HS256 token keyed with the public key');
  });

  it('for a token of another issuer, even when our key signed it', async () => {
    const claims = decodeJwt(await server.issueToken(client));
    const signer = server.services.keys.activeSigner();
    const foreign = signer.sign({ ...claims, iss: 'https://other-issuer.example', jti: randomUUID() });
    expectInactive(await introspect(foreign), 'a token of another issuer');
    // The control: the same claims with our issuer are active, so only the issuer made the difference.
    const ours = signer.sign({ ...claims, jti: randomUUID() });
    expectActive(await introspect(ours), ours);
  });

  it('for another application’s token when the caller is not a resource server', async () => {
    const other = await server.createClient();
    const token = await server.issueToken(other);
    expectInactive(await introspect(token, client), 'another application’s token');
    // It is active, for its owner.
    expectActive(await introspect(token, other), token);
  });

  it('for a token of a disabled application, and active again once it is enabled', async () => {
    const owner = await server.createClient();
    const resourceServer = await server.createClient({ resourceServer: true });
    const token = await server.issueToken(owner);
    expectActive(await introspect(token, resourceServer), token);

    await server.services.applications.disable(owner.clientId, TEST_ACTOR);
    expectInactive(await introspect(token, resourceServer), 'a disabled application’s token');
    // The disabled application itself cannot authenticate to ask.
    expectOAuthError(await introspect(token, owner), 401, 'invalid_client', /disabled/);

    await server.services.applications.enable(owner.clientId, TEST_ACTOR);
    expectActive(await introspect(token, resourceServer), token);
    expectActive(await introspect(token, owner), token);
  });

  it('for a token of a disabled customer, and active again once the customer is enabled', async () => {
    const customer = await server.services.customers.create(client.clientId, 'user-to-disable', TEST_ACTOR);
    const token = await server.issueToken(client, `customer.${customer.customerId}`);
    const apiToken = await server.issueToken(client);
    expectActive(await introspect(token), token);

    await server.services.customers.disable(customer.customerId, TEST_ACTOR);
    expectInactive(await introspect(token), 'a disabled customer’s token');
    // Only that customer's tokens: the application's api token is untouched.
    expectActive(await introspect(apiToken), apiToken);

    await server.services.customers.enable(customer.customerId, TEST_ACTOR);
    expectActive(await introspect(token), token);
  });
});

describe('POST /oauth2/introspect: expiry', () => {
  it('is inactive once the clock passes exp, and not a second before', async () => {
    const clock = new FakeClock();
    const timed = await startTestServer({ clock });
    try {
      const app = await timed.createClient({ apiTokenTtl: 600 });
      const token = await timed.issueToken(app);
      const { exp } = decodeJwt(token);
      assert.equal(exp, Math.floor(clock.now() / 1000) + 600);

      clock.advance(599_000);
      expectActive(await introspect(token, app, 'client_secret_post', timed), token);
      clock.advance(1_000);
      expectInactive(await introspect(token, app, 'client_secret_post', timed), 'a token at its exp');
      clock.advance(3_600_000);
      expectInactive(await introspect(token, app, 'client_secret_post', timed), 'a token long expired');
    } finally {
      await timed.close();
    }
  });
});

describe('POST /oauth2/introspect: bad requests', () => {
  it('answers failed client authentication with 401 invalid_client in the RFC 6749 shape', async () => {
    const token = await server.issueToken(client);
    const wrong = { clientId: client.clientId, clientSecret: `${client.clientSecret.slice(0, -1)}x` };
    const unknown = { clientId: '00000000-0000-4000-8000-000000000000', clientSecret: client.clientSecret };
    for (const caller of [wrong, unknown]) {
      const post = await introspect(token, caller, 'client_secret_post');
      expectOAuthError(post, 401, 'invalid_client', new RegExp(AUTHENTICATION_FAILED));
      assert.equal(post.headers['www-authenticate'], undefined, 'no challenge when Basic was not tried');

      const basic = await introspect(token, caller, 'client_secret_basic');
      expectOAuthError(basic, 401, 'invalid_client', new RegExp(AUTHENTICATION_FAILED));
      assert.equal(basic.headers['www-authenticate'], 'Basic realm="lean-auth", charset="UTF-8"');
    }
    const none = await introspect(token, client, 'none');
    expectOAuthError(none, 401, 'invalid_client', /client authentication is required/);
    assert.equal(none.headers['www-authenticate'], undefined);
  });

  it('refuses credentials in both Basic and the body', async () => {
    const token = await server.issueToken(client);
    const response = await server.app.inject({
      method: 'POST',
      url: INTROSPECT,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
      },
      payload: new URLSearchParams({
        token,
        client_id: client.clientId,
        client_secret: client.clientSecret,
      }).toString(),
    });
    expectOAuthError(response, 400, 'invalid_request', /both in the Authorization header and in the body/);
  });

  it('answers a missing or empty token with 400 invalid_request', async () => {
    expectOAuthError(
      await server.postForm(INTROSPECT, {}, client),
      400,
      'invalid_request',
      /token is missing/,
    );
    // RFC 6749 §3.1: a parameter sent without a value is treated as omitted.
    expectOAuthError(
      await server.postForm(INTROSPECT, { token: '' }, client),
      400,
      'invalid_request',
      /token is missing/,
    );
    expectOAuthError(
      await server.postForm(INTROSPECT, {}, client, 'client_secret_basic'),
      400,
      'invalid_request',
      /token is missing/,
    );
  });

  it('refuses a token sent twice, and parameters in the URL', async () => {
    const token = await server.issueToken(client);
    const twice = await server.app.inject({
      method: 'POST',
      url: INTROSPECT,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `${new URLSearchParams({ token, client_id: client.clientId, client_secret: client.clientSecret })}&token=x`,
    });
    expectOAuthError(twice, 400, 'invalid_request', /'token' is sent more than once/);
    const inUrl = await server.postForm(`${INTROSPECT}?token=${token}`, {}, client);
    expectOAuthError(inUrl, 400, 'invalid_request', /not in the URL/);
  });

  it('refuses a JSON body', async () => {
    const token = await server.issueToken(client);
    const response = await server.app.inject({
      method: 'POST',
      url: INTROSPECT,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ token, client_id: client.clientId, client_secret: client.clientSecret }),
    });
    expectOAuthError(response, 400, 'invalid_request', /must be application\/x-www-form-urlencoded/);
  });

  it('answers GET, PUT, PATCH, DELETE and OPTIONS with 405 and Allow: POST', async () => {
    for (const method of ['GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const) {
      const response = await server.app.inject({ method, url: INTROSPECT });
      expectOAuthError(response, 405, 'invalid_request', new RegExp(`${method} is not allowed`));
      assert.equal(response.headers.allow, 'POST');
    }
  });
});

describe('introspection and revocation with the database gone', () => {
  it('answer 503 temporarily_unavailable with Retry-After, as the token endpoint does, never active', async () => {
    const broken = await startTestServer();
    try {
      const app = await broken.createClient();
      const token = await broken.issueToken(app);
      await broken.services.store.close();
      for (const path of [INTROSPECT, '/oauth2/revoke']) {
        const response = await broken.postForm(path, { token }, app);
        expectOAuthError(response, 503, 'temporarily_unavailable', /retry/);
        assert.match(String(response.headers['retry-after']), /^[1-9]\d*$/, path);
      }
    } finally {
      await broken.close();
    }
  });
});
