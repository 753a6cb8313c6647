import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createTokenClient,
  TokenRequestError,
  TokenServerUnavailableError,
} from '../../src/kit/client/index.js';
import { type KitServer, startKitServer } from './kit-server.js';

const TOKEN = 'POST /oauth2/token';

/** Tokens issued by the server so far, by class, from its own metrics (the admin surface). */
async function issuedAtServer(kit: KitServer, tokenClass: 'api' | 'customer'): Promise<number> {
  const response = await fetch(`${kit.server.adminUrl}/admin/v1/metrics`, {
    headers: { authorization: `Bearer ${kit.adminToken}` },
  });
  const text = await response.text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`lean_auth_tokens_issued_total{token_class="${tokenClass}"}`));
  return Number(line?.split(' ').at(-1) ?? 0);
}

describe('createTokenClient against a running server', { timeout: 120_000 }, () => {
  let kit: KitServer;
  before(async () => {
    kit = await startKitServer({ CUSTOMER_TOKEN_TTL: '2h' });
  });
  after(() => kit?.close());

  const newClient = (options: Partial<Parameters<typeof createTokenClient>[0]> = {}) =>
    createTokenClient({ issuer: kit.issuer, ...kit.client, retry: { baseDelayMs: 20 }, ...options });

  it('hands out one token per scope until shortly before it expires, counted at the server', async () => {
    const client = newClient();
    const issued = await issuedAtServer(kit, 'api');
    const first = await client.getToken({ scope: 'api' });
    for (let i = 0; i < 10; i++)
      assert.equal((await client.getToken({ scope: 'api' })).accessToken, first.accessToken);
    assert.equal(first.scope, 'api');
    assert.ok(Math.abs(first.expiresAt - (Date.now() + 3600_000)) < 5_000);
    assert.equal((await issuedAtServer(kit, 'api')) - issued, 1);
  });

  it('sends one request for many callers waiting on the same scope (single flight)', async () => {
    const client = newClient();
    const before = kit.proxy.count(TOKEN);
    const customerScope = `customer.${kit.customerId}`;
    const issued = await issuedAtServer(kit, 'customer');
    const tokens = await Promise.all(
      Array.from({ length: 50 }, (_, i) => client.getToken({ scope: i % 2 ? 'api' : customerScope })),
    );
    assert.equal(new Set(tokens.map((t) => t.accessToken)).size, 2);
    assert.equal(kit.proxy.count(TOKEN) - before, 2);
    assert.equal((await issuedAtServer(kit, 'customer')) - issued, 1);
  });

  it("retries 5xx, a proxy's 429 (after its Retry-After) and dropped connections", async () => {
    const client = newClient();
    const before = kit.proxy.count(TOKEN);
    kit.proxy.inject(
      '/oauth2/token',
      { kind: 'status', status: 503 },
      { kind: 'drop' },
      {
        kind: 'status',
        status: 429,
        headers: { 'retry-after': '1', 'content-type': 'text/plain' },
        body: 'Too Many Requests',
      },
    );
    const started = Date.now();
    const token = await client.getToken({ scope: 'api' });
    assert.ok(token.accessToken);
    assert.ok(Date.now() - started >= 1_000, 'waited for Retry-After');
    assert.equal(kit.proxy.count(TOKEN) - before, 4);
  });

  it('gives up after its attempts with an error that names no secret', async () => {
    const client = newClient({ retry: { attempts: 2, baseDelayMs: 10 } });
    kit.proxy.inject('/oauth2/token', { kind: 'status', status: 500 }, { kind: 'status', status: 502 });
    await assert.rejects(client.getToken({ scope: 'api' }), (error: unknown) => {
      assert.ok(error instanceof TokenServerUnavailableError);
      assert.match(error.message, /answered 502 \(2 attempts\)/);
      assert.ok(
        !JSON.stringify({ ...error, message: error.message, stack: error.stack }).includes(
          kit.client.clientSecret,
        ),
      );
      return true;
    });
  });

  it('times out a request that does not answer, and retries it', async () => {
    const client = newClient({ timeoutMs: 300, retry: { attempts: 2, baseDelayMs: 10 } });
    const before = kit.proxy.count(TOKEN);
    kit.proxy.inject('/oauth2/token', { kind: 'delay', ms: 1_000 }, { kind: 'delay', ms: 1_000 });
    await assert.rejects(client.getToken({ scope: 'api' }), /did not answer in time \(2 attempts\)/);
    assert.equal(kit.proxy.count(TOKEN) - before, 2);
  });

  it('does not retry a refusal, and reports the server error without the secret', async () => {
    const before = kit.proxy.count(TOKEN);
    const wrong = newClient({ clientSecret: `${kit.client.clientSecret}x` });
    await assert.rejects(wrong.getToken({ scope: 'api' }), (error: unknown) => {
      assert.ok(error instanceof TokenRequestError);
      assert.equal(error.error, 'invalid_client');
      assert.equal(error.status, 401);
      assert.ok(!`${error.message}${error.stack}`.includes(kit.client.clientSecret));
      return true;
    });
    await assert.rejects(newClient().getToken({ scope: 'customer.nobody' }), (error: unknown) => {
      assert.ok(error instanceof TokenRequestError);
      assert.equal(error.error, 'invalid_scope');
      assert.ok(error.errorDescription);
      return true;
    });
    assert.equal(kit.proxy.count(TOKEN) - before, 2);
  });

  it("does not retry the server's 429 for failed authentication: a wrong secret fails at once", async () => {
    const other = await kit.server.services.applications.create({ name: 'throttled' }, 'test');
    const wrong = newClient({ clientId: other.application.clientId, clientSecret: `${other.clientSecret}x` });
    const before = kit.proxy.count(TOKEN);
    let refusal: TokenRequestError | undefined;
    let calls = 0;
    const started = Date.now();
    for (; calls < 10 && refusal?.status !== 429; calls++) {
      refusal = await wrong.getToken({ scope: 'api' }).then(
        () => assert.fail('a wrong secret got a token'),
        (error: unknown) => {
          assert.ok(error instanceof TokenRequestError, String(error));
          return error;
        },
      );
    }
    assert.equal(refusal?.status, 429);
    assert.equal(refusal?.error, 'temporarily_unavailable');
    assert.equal(kit.proxy.count(TOKEN) - before, calls, 'each refusal sent once');
    assert.ok(Date.now() - started < 5_000, 'no backoff for a refusal');
  });

  it('keeps a bounded number of scopes, the least recently used out first', async () => {
    const customers = await Promise.all(
      ['a', 'b', 'c'].map((user) =>
        kit.server.services.customers.create(kit.client.clientId, `bounded-${user}`, 'test'),
      ),
    );
    const client = newClient({ maxCachedTokens: 2 });
    const scopes = customers.map((c) => `customer.${c.customerId}`);
    const before = kit.proxy.count(TOKEN);
    for (const scope of scopes) await client.getToken({ scope });
    await client.getToken({ scope: scopes[2] ?? '' });
    await client.getToken({ scope: scopes[0] ?? '' });
    assert.equal(kit.proxy.count(TOKEN) - before, 4);
  });
});

describe('createTokenClient and customer tokens of ten minutes', { timeout: 60_000 }, () => {
  it('never hands out a cached customer token with less than 10 minutes left', async () => {
    const kit = await startKitServer({ CUSTOMER_TOKEN_TTL: '10m', API_TOKEN_TTL: '10m' });
    try {
      const client = createTokenClient({ issuer: kit.issuer, ...kit.client });
      const before = kit.proxy.count(TOKEN);
      const scope = `customer.${kit.customerId}`;
      const first = await client.getToken({ scope });
      // Within the same millisecond the token has exactly 10 minutes left, which the rule admits.
      await new Promise((resolve) => setTimeout(resolve, 20));
      const second = await client.getToken({ scope });
      assert.notEqual(first.accessToken, second.accessToken);
      await client.getToken({ scope: 'api' });
      await new Promise((resolve) => setTimeout(resolve, 20));
      await client.getToken({ scope: 'api' });
      assert.equal(kit.proxy.count(TOKEN) - before, 3);
    } finally {
      await kit.close();
    }
  });
});
