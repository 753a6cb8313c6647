import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import type { Client } from '../../src/domain/client.js';
import { digestSecret } from '../../src/domain/client-secrets.js';
import { createJwsSigner } from '../../src/domain/jws-signer.js';
import { OAuthError } from '../../src/oauth/errors.js';
import { handleTokenRequest } from '../../src/oauth/grants/index.js';
import type { OAuthContext, OAuthRequest } from '../../src/oauth/ports.js';
import { FakeClock } from '../helpers/fake-clock.js';

const CLIENT_ID = '11111111-1111-4111-8111-111111111111';
const CUSTOMER_ID = '22222222-2222-4222-8222-222222222222';
const clock = new FakeClock();

function contextWith(client: Partial<Client> = {}): OAuthContext & { lookups: string[]; failures: string[] } {
  const lookups: string[] = [];
  const failures: string[] = [];
  const full: Client = {
    clientId: CLIENT_ID,
    active: true,
    tokenClasses: new Set(['api', 'customer']),
    lifetimes: { api: 3600, customer: 1800 },
    secrets: [{ digest: digestSecret('current'), expiresAt: null }],
    resourceServer: false,
    authMethods: ['client_secret_basic', 'client_secret_post'],
    jwks: null,
    jwksUri: null,
    dpopBound: false,
    tlsSubject: null,
    certificateBound: false,
    ...client,
  };
  return {
    lookups,
    failures,
    clients: {
      find: async (id) => {
        lookups.push(`client:${id}`);
        return id === CLIENT_ID ? full : null;
      },
    },
    customers: {
      find: async (id) => {
        lookups.push(`customer:${id}`);
        return id === CUSTOMER_ID
          ? { customerId: id, clientId: CLIENT_ID, appUserId: 'u', status: 'active', createdAt: 0 }
          : null;
      },
    },
    keys: { activeSigner: () => signer, jwks: () => ({ keys: [] }) },
    assertionReplays: { firstUse: async () => true },
    clientKeys: { keysOf: async (client: Client) => client.jwks },
    failedAuthentications: {
      record: (clientId, sourceIp) => {
        failures.push(`${clientId}@${sourceIp}`);
        return 0;
      },
    },
    revocations: {
      revoke: async () => assert.fail('the token endpoint revokes nothing'),
      isRevoked: async () => assert.fail('the token endpoint needs no revocation list'),
    },
    clock,
    issuer: 'https://issuer.test',
    audience: 'https://api.test',
  };
}

const signer = createJwsSigner('EdDSA', 'kid-1', generateKeyPairSync('ed25519').privateKey);

function request(parameters: Record<string, string>, authorization?: string): OAuthRequest {
  return {
    contentType: 'application/x-www-form-urlencoded',
    body: Buffer.from(new URLSearchParams(parameters).toString()),
    authorization,
    dpop: undefined,
    query: '',
    sourceIp: () => '192.0.2.1',
    clientCertificate: () => undefined,
  };
}

const valid = {
  grant_type: 'client_credentials',
  client_id: CLIENT_ID,
  client_secret: 'current',
  scope: 'api',
};

/** The refusal of `run`, thrown at once or rejected later (a grant answers at once from warm caches). */
async function refusal(run: () => unknown): Promise<OAuthError> {
  try {
    await run();
  } catch (error) {
    assert.ok(error instanceof OAuthError);
    return error;
  }
  assert.fail('the request was granted');
}

describe('handleTokenRequest', () => {
  it('mints an RFC 9068 token with the lifetime of the token class', async () => {
    const response = await handleTokenRequest(
      request({ ...valid, scope: `customer.${CUSTOMER_ID}` }),
      contextWith(),
    );
    assert.equal(response.expires_in, 1800);
    const claims = decodeJwt(response.access_token);
    assert.equal(claims.iss, 'https://issuer.test');
    assert.equal(claims.aud, 'https://api.test');
    assert.equal(claims.iat, Math.floor(clock.now() / 1000));
    assert.equal(claims.exp, Math.floor(clock.now() / 1000) + 1800);
    assert.equal(claims.customer_id, CUSTOMER_ID);
  });

  it('asks for the caller’s address only when the authentication fails', async () => {
    const context = contextWith();
    let asked = 0;
    const counted = (parameters: Record<string, string>): OAuthRequest => ({
      ...request(parameters),
      sourceIp: () => {
        asked++;
        return '198.51.100.7';
      },
    });
    await handleTokenRequest(counted(valid), context);
    assert.equal(asked, 0, 'a granted request never works out its address');
    await refusal(() => handleTokenRequest(counted({ ...valid, client_secret: 'wrong' }), context));
    assert.equal(asked, 1);
    assert.deepEqual(context.failures, [`${CLIENT_ID}@198.51.100.7`]);
  });

  it('checks the grant type before it touches any client data', async () => {
    const context = contextWith();
    const error = await refusal(() =>
      handleTokenRequest(request({ ...valid, grant_type: 'authorization_code' }), context),
    );
    assert.equal(error.error, 'unsupported_grant_type');
    assert.deepEqual(context.lookups, []);
  });

  it('authenticates before it looks at the scope, so strangers learn nothing about customers', async () => {
    const context = contextWith();
    const error = await refusal(() =>
      handleTokenRequest(
        request({ ...valid, client_secret: 'wrong', scope: `customer.${CUSTOMER_ID}` }),
        context,
      ),
    );
    assert.equal(error.error, 'invalid_client');
    assert.deepEqual(context.lookups, [`client:${CLIENT_ID}`]);
    // The failure is counted for the audit log, with the caller's address.
    assert.deepEqual(context.failures, [`${CLIENT_ID}@192.0.2.1`]);
  });

  it('accepts both secrets during a rotation, and the old one not after its deadline', async () => {
    const context = contextWith({
      secrets: [
        { digest: digestSecret('current'), expiresAt: null },
        { digest: digestSecret('previous'), expiresAt: clock.now() + 1000 },
      ],
    });
    await handleTokenRequest(request(valid), context);
    await handleTokenRequest(request({ ...valid, client_secret: 'previous' }), context);
    clock.advance(1000);
    const error = await refusal(() =>
      handleTokenRequest(request({ ...valid, client_secret: 'previous' }), context),
    );
    assert.equal(error.error, 'invalid_client');
    await handleTokenRequest(request(valid), context);
  });

  it('refuses parameters in the query string', async () => {
    const error = await refusal(() =>
      handleTokenRequest({ ...request(valid), query: 'client_secret=current' }, contextWith()),
    );
    assert.equal(error.error, 'invalid_request');
  });
});
