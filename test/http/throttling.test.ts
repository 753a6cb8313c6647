import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { THROTTLE_LIMITS, THROTTLE_WINDOW_MS } from '../../src/domain/auth-throttle.js';
import { FakeClock } from '../helpers/fake-clock.js';
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

/** A clock a few seconds into a throttling window, so that no window ends in the middle of a test. */
function windowClock(): FakeClock {
  const clock = new FakeClock();
  const start = Math.ceil(clock.now() / THROTTLE_WINDOW_MS) * THROTTLE_WINDOW_MS;
  clock.advance(start - clock.now() + 5_000);
  return clock;
}

const wrongSecret = (client: ClientCredentials): ClientCredentials => ({
  clientId: client.clientId,
  clientSecret: `${client.clientSecret.slice(0, -4)}AAAA`,
});

/** The 429 of a throttled caller: RFC 6749 §5.2 shape, temporarily_unavailable, a sane Retry-After. */
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

describe('brute-force throttling over HTTP, caller address from the socket', () => {
  const clock = windowClock();
  let server: TestServer;
  let client: ClientCredentials;
  let other: ClientCredentials;

  const token = (credentials: ClientCredentials, address: string, method?: 'client_secret_basic') =>
    server.postForm(TOKEN, TOKEN_REQUEST, credentials, method, { remoteAddress: address });

  before(async () => {
    server = await startTestServer({ clock });
    client = await server.createClient({ name: 'real client' });
    other = await server.createClient({ name: 'another client' });
  });
  after(() => server.close());

  it('refuses the guessing address with 429 even with the right secret, while the real client gets tokens', async () => {
    const attackerStatuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const guess = await token(wrongSecret(client), ATTACKER);
      attackerStatuses.push(guess.statusCode);
      if (guess.statusCode === 401) expectOAuthError(guess, 401, 'invalid_client', /authentication failed/);
      else expectThrottled(guess);

      const real = await token(client, REAL_CLIENT);
      assert.equal(real.statusCode, 200, `real client, round ${i}: ${real.body}`);
      assert.equal(real.json().token_type, 'bearer');
    }
    assert.deepEqual(
      attackerStatuses,
      [...Array(THROTTLE_LIMITS.pair).fill(401), ...Array(30 - THROTTLE_LIMITS.pair).fill(429)],
      'the first guesses are answered 401, then every one 429',
    );

    // The right secret does not help the guessing address: it is refused before authentication.
    expectThrottled(await token(client, ATTACKER));
    expectThrottled(await token(client, ATTACKER, 'client_secret_basic'));
    // The real client, from its own address, by either method.
    assert.equal((await token(client, REAL_CLIENT, 'client_secret_basic')).statusCode, 200);
    assert.equal((await token(client, REAL_CLIENT)).statusCode, 200);
  });

  it('answers the throttled caller 429 on introspection and revocation as well', async () => {
    const accessToken = await server.issueToken(client);
    for (const url of [INTROSPECT, REVOKE]) {
      const refused = await server.postForm(url, { token: accessToken }, client, 'client_secret_post', {
        remoteAddress: ATTACKER,
      });
      expectThrottled(refused);
      const allowed = await server.postForm(url, { token: accessToken }, client, 'client_secret_post', {
        remoteAddress: REAL_CLIENT,
      });
      assert.equal(allowed.statusCode, 200, `${url}: ${allowed.body}`);
    }
  });

  it('refuses only that client_id from that address: another client calling from it goes on', async () => {
    assert.equal((await token(other, ATTACKER)).statusCode, 200);
  });

  it('lets the address back in when the window ends', async () => {
    const wait = expectThrottled(await token(client, ATTACKER));
    clock.advance(wait * 1000);
    const response = await token(client, ATTACKER);
    assert.equal(response.statusCode, 200, response.body);
  });

  it('refuses an address guessing many client_ids for every client_id, and no other address', async () => {
    const guesser = '203.0.113.77';
    for (let i = 0; i < THROTTLE_LIMITS.address; i++) {
      const response = await token({ clientId: randomUUID(), clientSecret: 'guess' }, guesser);
      expectOAuthError(response, 401, 'invalid_client', /authentication failed/);
    }
    expectThrottled(await token(client, guesser));
    expectThrottled(await token(other, guesser));
    expectThrottled(await token({ clientId: randomUUID(), clientSecret: 'guess' }, guesser));
    assert.equal((await token(client, REAL_CLIENT)).statusCode, 200);
    assert.equal((await token(other, '203.0.113.78')).statusCode, 200);
  });

  it('refuses every address of a botnet past the client-wide limit, not the real client', async () => {
    const perAddress = THROTTLE_LIMITS.pair - 1;
    const botnet = Array.from(
      { length: Math.ceil(THROTTLE_LIMITS.client / perAddress) },
      (_, i) => `192.0.2.${i + 1}`,
    );
    for (const address of botnet) {
      for (let i = 0; i < perAddress; i++) {
        const response = await token(wrongSecret(other), address);
        assert.ok([401, 429].includes(response.statusCode), response.body);
      }
    }
    for (const address of botnet) expectThrottled(await token(other, address));
    assert.equal((await token(other, REAL_CLIENT)).statusCode, 200, 'the real client goes on');
    assert.equal((await token(client, botnet[0] ?? '')).statusCode, 200, 'other clients from there go on');
  });

  it('ignores X-Forwarded-For without TRUST_PROXY: a guesser cannot dodge the throttle by forging it', async () => {
    const guesser = '203.0.113.99';
    const statuses: number[] = [];
    for (let i = 0; i < THROTTLE_LIMITS.pair + 3; i++) {
      const response = await server.app.inject({
        method: 'POST',
        url: TOKEN,
        headers: { ...FORM_HEADERS, 'x-forwarded-for': `198.18.0.${i + 1}` },
        payload: form({ ...TOKEN_REQUEST, client_id: client.clientId, client_secret: 'guess' }),
        remoteAddress: guesser,
      });
      statuses.push(response.statusCode);
    }
    assert.deepEqual(statuses, [...Array(THROTTLE_LIMITS.pair).fill(401), 429, 429, 429]);
    // Nor can it pose as the real client's address to get that one refused.
    assert.equal((await token(client, REAL_CLIENT)).statusCode, 200);
  });
});

describe('brute-force throttling over HTTP behind a proxy (TRUST_PROXY=10.0.0.0/8)', () => {
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
    server = await startTestServer({ clock, env: { TRUST_PROXY: '10.0.0.0/8' } });
    client = await server.createClient();
  });
  after(() => server.close());

  it('throttles the X-Forwarded-For address, not the proxy every caller comes through', async () => {
    for (let i = 0; i < 20; i++) {
      const guess = await viaProxy(wrongSecret(client), ATTACKER);
      if (i < THROTTLE_LIMITS.pair) expectOAuthError(guess, 401, 'invalid_client', /authentication failed/);
      else expectThrottled(guess);
      const real = await viaProxy(client, REAL_CLIENT);
      assert.equal(real.statusCode, 200, `real client, round ${i}: ${real.body}`);
    }
    expectThrottled(await viaProxy(client, ATTACKER));
    // The caller is the first address of a chain of proxies.
    expectThrottled(await viaProxy(client, `${ATTACKER}, 10.0.0.2`));
    assert.equal((await viaProxy(client, `${REAL_CLIENT}, 10.0.0.2`)).statusCode, 200);
    // A request from the proxy itself, without the header, is not the attacker.
    const direct = await server.postForm(TOKEN, TOKEN_REQUEST, client, 'client_secret_post', {
      remoteAddress: PROXY,
    });
    assert.equal(direct.statusCode, 200, direct.body);
  });
});
