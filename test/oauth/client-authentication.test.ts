import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client } from '../../src/domain/client.js';
import { digestSecret } from '../../src/domain/client-secrets.js';
import {
  AUTHENTICATION_FAILED,
  authenticateClient,
  MAX_CLIENT_ID_LENGTH,
} from '../../src/oauth/client-authentication.js';
import { OAuthError } from '../../src/oauth/errors.js';
import { FakeClock } from '../helpers/fake-clock.js';

const CLIENT_ID = '11111111-1111-4111-8111-111111111111';
const UNKNOWN_ID = '33333333-3333-4333-8333-333333333333';
const ADDRESS = '203.0.113.7';

/** A context whose throttle answers `wait` to every failure, recording what it was told. */
function context(wait: number) {
  const client: Client = {
    clientId: CLIENT_ID,
    active: true,
    tokenClasses: new Set(['api']),
    lifetimes: { api: 3600, customer: 3600 },
    secrets: [{ digest: digestSecret('right'), expiresAt: null }],
    resourceServer: false,
    authMethods: ['client_secret_basic', 'client_secret_post'],
    jwks: null,
    jwksUri: null,
    dpopBound: false,
    tlsSubject: null,
    certificateBound: false,
  };
  const recorded: string[] = [];
  const lookups: string[] = [];
  return {
    recorded,
    lookups,
    clients: {
      find: async (id: string) => {
        lookups.push(id);
        return id === CLIENT_ID ? client : null;
      },
    },
    clock: new FakeClock(),
    issuer: 'http://localhost',
    assertionReplays: { firstUse: async () => true },
    clientKeys: { keysOf: async (client: Client) => client.jwks },
    failedAuthentications: {
      record: (id: string, address: string) => {
        recorded.push(`${id}@${address}`);
        return wait;
      },
    },
  };
}

async function refusal(promise: Promise<unknown>): Promise<OAuthError> {
  const error = await promise.then(
    () => assert.fail('expected a refusal'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof OAuthError, String(error));
  return error;
}

const attempt = (
  clientId: string,
  clientSecret: string,
  wait: number,
  method: 'client_secret_basic' | 'client_secret_post' = 'client_secret_post',
) => {
  const ctx = context(wait);
  // Settled as a promise whether it answers at once or later, as a caller awaiting it sees it.
  const result = Promise.resolve().then(() =>
    authenticateClient({ clientId, clientSecret, method }, () => ADDRESS, ctx),
  );
  return { ctx, result };
};

/** Everything a caller sees of a refusal. */
const seen = (error: OAuthError) => ({ status: error.status, body: error.toJSON(), headers: error.headers });

describe('authenticateClient and the failure throttle', () => {
  it('never refuses valid credentials, and does not even ask the throttle', async () => {
    for (const method of ['client_secret_post', 'client_secret_basic'] as const) {
      const { ctx, result } = attempt(CLIENT_ID, 'right', 3600, method);
      assert.equal((await result).clientId, CLIENT_ID);
      assert.deepEqual(ctx.recorded, []);
    }
  });

  it('answers a failure 401, or 429 with Retry-After when the throttle says to wait', async () => {
    const usual = await refusal(attempt(CLIENT_ID, 'wrong', 0).result);
    assert.deepEqual(seen(usual), {
      status: 401,
      body: { error: 'invalid_client', error_description: AUTHENTICATION_FAILED },
      headers: {},
    });
    const { ctx, result } = attempt(CLIENT_ID, 'wrong', 17);
    const throttled = await refusal(result);
    assert.deepEqual(seen(throttled), {
      status: 429,
      body: {
        error: 'temporarily_unavailable',
        error_description: 'too many failed client authentications: retry in 17 s',
      },
      headers: { 'Retry-After': '17' },
    });
    assert.deepEqual(ctx.recorded, [`${CLIENT_ID}@${ADDRESS}`]);
  });

  it('answers an unknown client_id exactly as a wrong secret, throttled or not, by either method', async () => {
    for (const method of ['client_secret_post', 'client_secret_basic'] as const) {
      for (const wait of [0, 42]) {
        const wrong = attempt(CLIENT_ID, 'wrong', wait, method);
        const unknown = attempt(UNKNOWN_ID, 'wrong', wait, method);
        assert.deepEqual(seen(await refusal(unknown.result)), seen(await refusal(wrong.result)));
        assert.deepEqual(unknown.ctx.recorded, [`${UNKNOWN_ID}@${ADDRESS}`], 'counted alike');
      }
    }
  });

  it('refuses a client_id longer than any we issue like an unknown one, before looking it up or counting it', async () => {
    const long = 'a'.repeat(MAX_CLIENT_ID_LENGTH + 1);
    for (const method of ['client_secret_post', 'client_secret_basic'] as const) {
      const { ctx, result } = attempt(long, 'wrong', 30, method);
      const uuid = attempt(UNKNOWN_ID, 'wrong', 0, method);
      assert.deepEqual(seen(await refusal(result)), seen(await refusal(uuid.result)));
      assert.deepEqual(ctx.recorded, [], 'not counted: nothing is kept of it');
      assert.deepEqual(ctx.lookups, [], 'not looked up');
      assert.deepEqual(uuid.ctx.lookups, [UNKNOWN_ID], "a UUID's length is looked up");
    }
  });
});
