import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { THROTTLE_LIMITS } from '../../src/domain/auth-throttle.js';
import { AUTHENTICATION_FAILED } from '../../src/oauth/client-authentication.js';
import { FakeClock } from '../helpers/fake-clock.js';
import {
  type AuthMethod,
  type ClientCredentials,
  expectOAuthError,
  startTestServer,
  TEST_ACTOR,
  type TestServer,
  tempDir,
} from '../helpers/test-server.js';

const REVOKE = '/oauth2/revoke';
const INTROSPECT = '/oauth2/introspect';
const INACTIVE = '{"active":false}';

let server: TestServer;
let client: ClientCredentials;
let customerId: string;

before(async () => {
  server = await startTestServer();
  client = await server.createClient();
  customerId = (await server.services.customers.create(client.clientId, 'user-1', TEST_ACTOR)).customerId;
});
after(() => server.close());

function revoke(
  token: string,
  caller: ClientCredentials = client,
  method: AuthMethod = 'client_secret_post',
  on: TestServer = server,
) {
  return on.postForm(REVOKE, { token }, caller, method);
}

/** RFC 7009 §2.2: 200 and nothing in the body. */
function expectRevoked(response: Awaited<ReturnType<typeof revoke>>, what: string): void {
  assert.equal(response.statusCode, 200, `${what}: ${response.body}`);
  assert.equal(response.body, '', what);
  assert.equal(response.headers['cache-control'], 'no-store');
}

/** Whether introspection by `caller` calls the token active; inactive must be exactly {"active":false}. */
async function isActive(
  token: string,
  caller: ClientCredentials = client,
  on: TestServer = server,
): Promise<boolean> {
  const response = await on.postForm(INTROSPECT, { token }, caller);
  assert.equal(response.statusCode, 200, response.body);
  if (response.json().active === true) return true;
  assert.equal(response.body, INACTIVE);
  return false;
}

describe('POST /oauth2/revoke: introspect → revoke → introspect', () => {
  it('revokes an api token (client_secret_post): 200 with an empty body, then inactive', async () => {
    const token = await server.issueToken(client);
    assert.equal(await isActive(token), true);
    expectRevoked(await revoke(token), 'own api token');
    assert.equal(await isActive(token), false);
  });

  it('revokes a customer token (client_secret_basic), and only that token', async () => {
    const token = await server.issueToken(client, `customer.${customerId}`);
    const sibling = await server.issueToken(client, `customer.${customerId}`);
    assert.equal(await isActive(token), true);
    expectRevoked(await revoke(token, client, 'client_secret_basic'), 'own customer token');
    assert.equal(await isActive(token), false);
    assert.equal(await isActive(sibling), true, 'another token of the same customer stays active');
  });

  it('makes the token inactive for a resource server too', async () => {
    const resourceServer = await server.createClient({ resourceServer: true });
    const token = await server.issueToken(client);
    assert.equal(await isActive(token, resourceServer), true);
    expectRevoked(await revoke(token), 'own token');
    assert.equal(await isActive(token, resourceServer), false);
  });

  it('accepts token_type_hint', async () => {
    const token = await server.issueToken(client);
    const response = await server.postForm(REVOKE, { token, token_type_hint: 'access_token' }, client);
    expectRevoked(response, 'with a hint');
    assert.equal(await isActive(token), false);
  });
});

describe('POST /oauth2/revoke: tokens it cannot or need not revoke', () => {
  it('answers 200 for an unknown, a garbage and an already revoked token', async () => {
    const other = await startTestServer();
    try {
      const unknown = await other.issueToken(await other.createClient());
      expectRevoked(await revoke(unknown), 'a token of another server');
    } finally {
      await other.close();
    }
    for (const garbage of ['garbage', 'a.b.c', 'x'.repeat(2000)]) {
      expectRevoked(await revoke(garbage), JSON.stringify(garbage.slice(0, 20)));
    }
    const token = await server.issueToken(client);
    expectRevoked(await revoke(token), 'first time');
    expectRevoked(await revoke(token), 'second time');
    expectRevoked(await revoke(token, client, 'client_secret_basic'), 'third time');
    assert.equal(await isActive(token), false);

    const raced = await server.issueToken(client);
    for (const response of await Promise.all([revoke(raced), revoke(raced), revoke(raced)])) {
      expectRevoked(response, 'concurrent revocations of one token');
    }
    assert.equal(await isActive(raced), false);
  });

  it('refuses another application’s token with 400 unauthorized_client and leaves it active', async () => {
    const other = await server.createClient();
    const token = await server.issueToken(other);
    expectOAuthError(
      await revoke(token, client),
      400,
      'unauthorized_client',
      /not issued to the calling application/,
    );
    assert.equal(await isActive(token, other), true);
  });

  it('refuses a resource server too: it may look at other applications’ tokens, not revoke them', async () => {
    const resourceServer = await server.createClient({ resourceServer: true });
    const token = await server.issueToken(client);
    expectOAuthError(await revoke(token, resourceServer), 400, 'unauthorized_client', /not issued/);
    assert.equal(await isActive(token), true);
  });
});

describe('POST /oauth2/revoke: bad requests', () => {
  it('answers failed client authentication with 401 invalid_client in the RFC 6749 shape', async () => {
    const token = await server.issueToken(client);
    const wrong = { clientId: client.clientId, clientSecret: `${client.clientSecret.slice(0, -1)}x` };
    const unknown = { clientId: '00000000-0000-4000-8000-000000000000', clientSecret: client.clientSecret };
    for (const caller of [wrong, unknown]) {
      const post = await revoke(token, caller, 'client_secret_post');
      expectOAuthError(post, 401, 'invalid_client', new RegExp(AUTHENTICATION_FAILED));
      assert.equal(post.headers['www-authenticate'], undefined, 'no challenge when Basic was not tried');

      const basic = await revoke(token, caller, 'client_secret_basic');
      expectOAuthError(basic, 401, 'invalid_client', new RegExp(AUTHENTICATION_FAILED));
      assert.equal(basic.headers['www-authenticate'], 'Basic realm="lean-auth", charset="UTF-8"');
    }
    expectOAuthError(
      await revoke(token, client, 'none'),
      401,
      'invalid_client',
      /authentication is required/,
    );
    assert.equal(await isActive(token), true, 'a failed revocation revokes nothing');
  });

  it('answers a missing token with 400 invalid_request', async () => {
    expectOAuthError(await server.postForm(REVOKE, {}, client), 400, 'invalid_request', /token is missing/);
    expectOAuthError(
      await server.postForm(REVOKE, { token_type_hint: 'access_token' }, client, 'client_secret_basic'),
      400,
      'invalid_request',
      /token is missing/,
    );
  });

  it('answers GET, PUT, PATCH, DELETE and OPTIONS with 405 and Allow: POST', async () => {
    for (const method of ['GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const) {
      const response = await server.app.inject({ method, url: REVOKE });
      expectOAuthError(response, 405, 'invalid_request', new RegExp(`${method} is not allowed`));
      assert.equal(response.headers.allow, 'POST');
    }
  });
});

describe('revocation records', () => {
  it('survive a restart on the same database', async () => {
    const temp = tempDir();
    const env = { KEY_ENCRYPTION_KEY: randomBytes(32).toString('hex') };
    try {
      const first = await startTestServer({ dir: temp.dir, env });
      let app: ClientCredentials;
      let revoked: string;
      let kept: string;
      try {
        app = await first.createClient();
        revoked = await first.issueToken(app);
        kept = await first.issueToken(app);
        expectRevoked(await revoke(revoked, app, 'client_secret_post', first), 'before the restart');
      } finally {
        await first.close();
      }

      const second = await startTestServer({ dir: temp.dir, env });
      try {
        assert.equal(await second.services.store.isTokenRevoked(String(decodeJwt(revoked).jti)), true);
        assert.equal(await isActive(revoked, app, second), false, 'the revoked token after the restart');
        assert.equal(await isActive(kept, app, second), true, 'the other token after the restart');
      } finally {
        await second.close();
      }
    } finally {
      temp.remove();
    }
  });

  it('are purged once the token has expired (plus the clock-skew margin), not before', async () => {
    const clock = new FakeClock();
    const timed = await startTestServer({ clock });
    try {
      const app = await timed.createClient({ apiTokenTtl: 600 });
      const token = await timed.issueToken(app);
      const { jti, exp } = decodeJwt(token);
      expectRevoked(await revoke(token, app, 'client_secret_post', timed), 'a token with 600 s to live');
      const { store, revocations } = timed.services;
      assert.equal(await store.isTokenRevoked(String(jti)), true);

      assert.equal(await revocations.purgeExpired(), 0);
      const margin = 5 * 60_000;
      clock.advance((exp ?? 0) * 1000 + margin - clock.now() - 1000);
      assert.equal(await revocations.purgeExpired(), 0, 'one second before exp plus the margin');
      assert.equal(await store.isTokenRevoked(String(jti)), true);

      clock.advance(2000);
      assert.equal(await revocations.purgeExpired(), 1, 'one second after exp plus the margin');
      assert.equal(await store.isTokenRevoked(String(jti)), false);
      assert.equal(await isActive(token, app, timed), false, 'expired, so inactive without the record');
    } finally {
      await timed.close();
    }
  });
});

describe('failed client authentications', () => {
  it('reach the audit log as one counted event per client and source address', async () => {
    const audited = await startTestServer();
    try {
      // The background writer would flush on its own timer; stop it so that only the test flushes.
      await audited.services.failedAuthentications.stop();
      const app = await audited.createClient();
      const token = await audited.issueToken(app);
      const wrong = { clientId: app.clientId, clientSecret: `${app.clientSecret.slice(0, -2)}xx` };
      const from = { remoteAddress: '203.0.113.7' };
      // Fewer than the throttle allows for one client and address, so each is a plain 401.
      const grant = { grant_type: 'client_credentials', scope: 'api' };
      const attempts = [
        ['/oauth2/token', grant, 'client_secret_post'],
        [INTROSPECT, { token }, 'client_secret_post'],
        [INTROSPECT, { token }, 'client_secret_basic'],
        [REVOKE, { token }, 'client_secret_basic'],
      ] as const;
      assert.ok(attempts.length < THROTTLE_LIMITS.pair);
      for (const [path, parameters, method] of attempts) {
        const response = await audited.postForm(path, parameters, wrong, method, from);
        assert.equal(response.statusCode, 401, `${path}: ${response.body}`);
      }
      // A successful authentication in between is not a failure.
      assert.equal(
        (await audited.postForm(INTROSPECT, { token }, app, 'client_secret_post', from)).statusCode,
        200,
      );

      await audited.services.failedAuthentications.flush();
      const events = await audited.services.store.listAuditEvents(
        { action: 'client.authentication_failed' },
        { limit: 10 },
      );
      assert.equal(events.length, 1, JSON.stringify(events));
      const [event] = events;
      assert.equal(event?.actor, '203.0.113.7');
      assert.equal(event?.targetType, 'application');
      assert.equal(event?.targetId, app.clientId);
      assert.equal(event?.detail.count, attempts.length);
      assert.equal(event?.detail.source_ip, '203.0.113.7');
      assert.doesNotMatch(
        JSON.stringify(event),
        new RegExp(wrong.clientSecret),
        'the tried secret is not stored',
      );
    } finally {
      await audited.close();
    }
  });
});
