import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { MAX_TOKEN_LIFETIME } from '../../src/config/limits.js';
import { IAT_CLOCK_SKEW_SECONDS } from '../../src/oauth/verify-access-token.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { type ClientCredentials, startTestServer, type TestServer } from '../helpers/test-server.js';

// Tokens that carry our own signature but claims we never issue: what a leaked signing key (before
// it is withdrawn) or a bug could produce. Each is signed with the server's active key, and each
// has a control that differs only in the claim under test and is active.

const clock = new FakeClock();
let server: TestServer;
let client: ClientCredentials;
/** The claims of a genuine token: the forgeries start from these. */
let genuine: Record<string, unknown>;
const now = () => Math.floor(clock.now() / 1000);

before(async () => {
  server = await startTestServer({ clock, env: { TOKEN_AUDIENCE: 'https://api.example.test' } });
  client = await server.createClient();
  genuine = decodeJwt(await server.issueToken(client));
});
after(() => server.close());

function forge(claims: Record<string, unknown>): string {
  return server.services.keys.activeSigner().sign({ ...genuine, jti: randomUUID(), ...claims });
}

async function active(token: string): Promise<boolean> {
  const response = await server.postForm('/oauth2/introspect', { token }, client);
  assert.equal(response.statusCode, 200, response.body);
  return response.json().active;
}

describe('introspection checks the claims, not only the signature', () => {
  it('aud must be our TOKEN_AUDIENCE, as the one string we issue', async () => {
    assert.equal(await active(forge({ aud: 'https://api.example.test' })), true, 'the control');
    assert.equal(await active(forge({ aud: 'https://other-api.example.test' })), false);
    assert.equal(
      await active(forge({ aud: ['https://api.example.test', 'https://other.example.test'] })),
      false,
    );
    assert.equal(await active(forge({ aud: '' })), false);
    const { aud: _, ...withoutAud } = genuine;
    assert.equal(
      await active(server.services.keys.activeSigner().sign({ ...withoutAud, jti: randomUUID() })),
      false,
    );
  });

  it(`iat may lie no more than ${IAT_CLOCK_SKEW_SECONDS} s in the future`, async () => {
    const ahead = (seconds: number) => forge({ iat: now() + seconds, exp: now() + seconds + 600 });
    assert.equal(await active(ahead(IAT_CLOCK_SKEW_SECONDS)), true, 'within the skew');
    assert.equal(await active(ahead(IAT_CLOCK_SKEW_SECONDS + 1)), false);
    assert.equal(await active(ahead(365 * 86_400)), false);
  });

  it(`exp - iat may not exceed the longest lifetime we issue (${MAX_TOKEN_LIFETIME} s)`, async () => {
    const lasting = (seconds: number) => forge({ iat: now(), exp: now() + seconds });
    assert.equal(await active(lasting(MAX_TOKEN_LIFETIME)), true, 'the longest we issue');
    assert.equal(await active(lasting(MAX_TOKEN_LIFETIME + 1)), false);
    // Issued long ago and still valid: a lifetime no setting allows.
    assert.equal(await active(forge({ iat: now() - 30 * 86_400, exp: now() + 600 })), false);
  });

  it('iat and exp must be numbers', async () => {
    assert.equal(await active(forge({ iat: String(now()) })), false);
    assert.equal(await active(forge({ exp: String(now() + 600) })), false);
  });

  it('a forged token is not revoked either: revocation answers as for any invalid token', async () => {
    const forged = forge({ aud: 'https://other-api.example.test' });
    const response = await server.postForm('/oauth2/revoke', { token: forged }, client);
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(await server.services.revocations.isRevoked(String(decodeJwt(forged).jti)), false);
  });
});
