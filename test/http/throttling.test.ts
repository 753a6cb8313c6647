import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { THROTTLE_LIMITS, THROTTLE_WINDOW_MS } from '../../src/domain/auth-throttle.js';
import { windowClock } from '../helpers/fake-clock.js';
import {
  type ClientCredentials,
  expectOAuthError,
  FORM_HEADERS,
  form,
  startTestServer,
  type TestServer,
} from '../helpers/test-server.js';

const TOKEN = '/oauth2/token';
const INTROSPECT = '/oauth2/introspect';
const REVOKE = '/oauth2/revoke';
const ATTACKER = '203.0.113.7';
const REAL_CLIENT = '198.51.100.20';
const TOKEN_REQUEST = { grant_type: 'client_credentials', scope: 'api' };

const wrongSecret = (client: ClientCredentials): ClientCredentials => ({
  clientId: client.clientId,
  clientSecret: `${client.clientSecret.slice(0, -4)}AAAA`,
});
const unknownClient = (): ClientCredentials => ({ clientId: randomUUID(), clientSecret: 'guess' });

/** The 429 of a throttled failure: RFC 6749 §5.2 shape, temporarily_unavailable, a sane Retry-After. */
function expectThrottled(response: LightMyRequestResponse): number {
  expectOAuthError(response, 429, 'temporarily_unavailable', /too many failed client authentications/);
  const retryAfter = Number(response.headers['retry-after']);
  assert.ok(
    Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= THROTTLE_WINDOW_MS / 1000,
    `Retry-After: ${response.headers['retry-after']}`,
  );
  assert.match(response.json().error_description, new RegExp(`retry in ${retryAfter} s`));
  return retryAfter;
}

const expectFailed = (response: LightMyRequestResponse) =>
  expectOAuthError(response, 401, 'invalid_client', /authentication failed/);

/** What a caller sees of an answer, but for its date. */
const seen = (response: LightMyRequestResponse) => {
  const { date: _date, ...headers } = response.headers;
  return { status: response.statusCode, headers, body: response.body };
};

describe('the failure throttle over HTTP: valid credentials are never refused', () => {
  const clock = windowClock();
  let server: TestServer;
  let victim: ClientCredentials;
  let other: ClientCredentials;

  const token = (credentials: ClientCredentials, address: string, method?: 'client_secret_basic') =>
    server.postForm(TOKEN, TOKEN_REQUEST, credentials, method, { remoteAddress: address });

  before(async () => {
    server = await startTestServer({ clock });
    victim = await server.createClient({ name: 'victim' });
    other = await server.createClient({ name: 'another client' });
  });
  after(() => server.close());

  it('from an address that failed 1,000 times, in the victim’s name and others’, the right secret gets a token at once', async () => {
    const statuses = new Map<number, number>();
    for (let i = 0; i < 1000; i++) {
      const credentials = i % 4 === 3 ? unknownClient() : wrongSecret(victim);
      const response = await token(credentials, ATTACKER, i % 2 === 0 ? 'client_secret_basic' : undefined);
      statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
    }
    // The victim's client_id fails from elsewhere too, past the limit for one client_id.
    for (let i = 0; i < THROTTLE_LIMITS.client; i++) await token(wrongSecret(victim), `192.0.2.${i + 1}`);
    assert.ok((statuses.get(429) ?? 0) > 900, `statuses: ${JSON.stringify([...statuses])}`);
    expectThrottled(await token(wrongSecret(victim), ATTACKER));
    // A fresh address failing in the victim's name.
    expectThrottled(await token(wrongSecret(victim), '198.18.0.1'));

    // The right secret, from the attacker's own address, by either method, on every endpoint.
    for (const method of [undefined, 'client_secret_basic'] as const) {
      const issued = await token(victim, ATTACKER, method);
      assert.equal(issued.statusCode, 200, issued.body);
      const accessToken = String(issued.json().access_token);
      const introspected = await server.postForm(INTROSPECT, { token: accessToken }, victim, method, {
        remoteAddress: ATTACKER,
      });
      assert.equal(introspected.statusCode, 200, introspected.body);
      assert.equal(introspected.json().active, true);
      const revoked = await server.postForm(REVOKE, { token: accessToken }, victim, method, {
        remoteAddress: ATTACKER,
      });
      assert.equal(revoked.statusCode, 200, revoked.body);
    }
    assert.equal((await token(other, ATTACKER)).statusCode, 200, 'another client at that address');
    assert.equal((await token(victim, REAL_CLIENT)).statusCode, 200, 'the victim from its own address');
  });

  it('answers a failing address 401 up to a limit, then 429 until the window ends', async () => {
    const guesser = '203.0.113.77';
    for (let i = 0; i < THROTTLE_LIMITS.address; i++) expectFailed(await token(unknownClient(), guesser));
    expectThrottled(await token(unknownClient(), guesser));
    const wait = expectThrottled(await token(wrongSecret(other), guesser));
    assert.equal((await token(other, guesser)).statusCode, 200);
    expectFailed(await token(unknownClient(), '203.0.113.78'));

    clock.advance(wait * 1000);
    expectFailed(await token(unknownClient(), guesser));
  });

  it('answers a throttled unknown client_id exactly as a throttled wrong secret', async () => {
    const guesser = '203.0.113.90';
    for (let i = 0; i < THROTTLE_LIMITS.address; i++) await token(unknownClient(), guesser);
    for (const method of [undefined, 'client_secret_basic'] as const) {
      const unknown = await token(unknownClient(), guesser, method);
      const wrong = await token(wrongSecret(other), guesser, method);
      expectThrottled(unknown);
      assert.deepEqual(seen(unknown), seen(wrong));
    }
  });

  it('groups IPv6 callers by /64: rotating addresses within it is one caller', async () => {
    for (let i = 0; i < THROTTLE_LIMITS.address; i++) {
      expectFailed(await token(unknownClient(), `2001:db8:5:6:${i.toString(16)}::1`));
    }
    expectThrottled(await token(unknownClient(), '2001:db8:5:6:ffff:ffff:ffff:fffe'));
    assert.equal((await token(other, '2001:db8:5:6::abcd')).statusCode, 200);
    expectFailed(await token(unknownClient(), '2001:db8:5:7::1'));
  });

  it('refuses a client_id longer than a UUID like an unknown one, and does not count it', async () => {
    const prober = '203.0.113.111';
    const long = { clientId: 'x'.repeat(3000), clientSecret: 'guess' };
    for (let i = 0; i < 3 * THROTTLE_LIMITS.address; i++) {
      const response = await token(long, prober);
      expectFailed(response);
      assert.deepEqual(seen(response), seen(await token(unknownClient(), `198.19.${i}.1`)));
    }
    // Not one of those was counted: the address's own failures start from zero.
    expectFailed(await token(unknownClient(), prober));
    await server.services.failedAuthentications.flush();
    const audited = await server.services.store.listAuditEvents(
      { action: 'client.authentication_failed', actor: prober },
      { limit: 10 },
    );
    assert.deepEqual(
      audited.map((event) => event.detail.count),
      [1],
    );
  });

  it('ignores X-Forwarded-For without TRUST_PROXY: a guesser cannot dodge the throttle by forging it', async () => {
    const guesser = '203.0.113.99';
    const statuses: number[] = [];
    for (let i = 0; i < THROTTLE_LIMITS.pair + 3; i++) {
      const response = await server.app.inject({
        method: 'POST',
        url: TOKEN,
        headers: { ...FORM_HEADERS, 'x-forwarded-for': `198.18.0.${i + 1}` },
        payload: form({ ...TOKEN_REQUEST, client_id: other.clientId, client_secret: 'guess' }),
        remoteAddress: guesser,
      });
      statuses.push(response.statusCode);
    }
    assert.deepEqual(statuses, [...Array(THROTTLE_LIMITS.pair).fill(401), 429, 429, 429]);
  });
});

describe('the failure throttle behind a proxy (TRUST_PROXY names it)', () => {
  const clock = windowClock();
  const PROXY = '10.0.0.1';
  let server: TestServer;
  let client: ClientCredentials;

  /** A token request as the proxy forwards it, for a caller at `forwardedFor`. */
  const viaProxy = (credentials: ClientCredentials, forwardedFor: string) =>
    server.app.inject({
      method: 'POST',
      url: TOKEN,
      headers: { ...FORM_HEADERS, 'x-forwarded-for': forwardedFor },
      payload: form({
        ...TOKEN_REQUEST,
        client_id: credentials.clientId,
        client_secret: credentials.clientSecret,
      }),
      remoteAddress: PROXY,
    });

  before(async () => {
    server = await startTestServer({ clock, env: { TRUST_PROXY: PROXY } });
    client = await server.createClient();
  });
  after(() => server.close());

  it('counts the forwarded address, not the proxy every caller comes through', async () => {
    for (let i = 0; i < 20; i++) {
      const guess = await viaProxy(wrongSecret(client), ATTACKER);
      if (i < THROTTLE_LIMITS.pair) expectFailed(guess);
      else expectThrottled(guess);
      assert.equal((await viaProxy(client, ATTACKER)).statusCode, 200, `round ${i}: the right secret`);
    }
    expectFailed(await viaProxy(wrongSecret(client), REAL_CLIENT));
    const direct = await server.postForm(TOKEN, TOKEN_REQUEST, wrongSecret(client), 'client_secret_post', {
      remoteAddress: PROXY,
    });
    expectFailed(direct);
  });
});
