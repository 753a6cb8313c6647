import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type CryptoKey, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { pino } from 'pino';
import { JWT_BEARER } from '../../src/oauth/private-key-jwt.js';
import { type RunningServer, startServer } from '../../src/server/start-server.js';
import { freePort, randomKeyHex } from '../helpers/child-process.js';
import { freshPostgresSchema, skipWithoutPostgres } from '../helpers/postgres.js';
import { skipWithoutRedis, testRedisUrl } from '../helpers/redis.js';
import { TEST_ACTOR, tempDir, testConfig } from '../helpers/test-server.js';
import { waitFor } from '../helpers/waiting.js';

const ISSUER = 'http://lean-auth.test';
const skip = (await skipWithoutPostgres()) || (await skipWithoutRedis());

// Two instances over one PostgreSQL schema and one Redis: an assertion or a DPoP proof accepted by
// one is refused by the other.
describe('replays refused across instances (PostgreSQL and Redis)', { skip, timeout: 60_000 }, () => {
  const database = freshPostgresSchema();
  const temp = tempDir();
  const servers: RunningServer[] = [];
  const bases: string[] = [];
  let clientId: string;
  let clientSecret: string;
  let privateKey: CryptoKey;
  const kid = 'k1';

  before(async () => {
    const env = {
      DATABASE_URL: database.url,
      KEY_ENCRYPTION_KEY: randomKeyHex(),
      REDIS_URL: testRedisUrl(),
      REDIS_PREFIX: `lean-auth:test-${randomBytes(4).toString('hex')}:`,
      ISSUER,
    };
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      servers.push(
        await startServer(testConfig(temp.dir, { ...env, PORT: String(port) }), pino({ level: 'silent' })),
      );
      bases.push(`http://127.0.0.1:${port}`);
    }
    const pair = await generateKeyPair('ES256', { extractable: true });
    privateKey = pair.privateKey;
    const [a, b] = servers as [RunningServer, RunningServer];
    const created = await a.services.applications.create(
      {
        name: 'two instances',
        tokenEndpointAuthMethod: 'private_key_jwt',
        jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), kid }] },
      },
      TEST_ACTOR,
    );
    clientId = created.application.clientId;
    const plain = await a.services.applications.create({ name: 'dpop' }, TEST_ACTOR);
    clientSecret = plain.clientSecret;
    clientIdPlain = plain.application.clientId;
    // Until both reach Redis, each remembers alone (no offline queue).
    await waitFor(
      async () => {
        const probe = `probe:${randomUUID()}`;
        await a.services.assertionReplays.firstUse(probe, Date.now() + 5_000);
        return !(await b.services.assertionReplays.firstUse(probe, Date.now() + 5_000));
      },
      10_000,
      'both instances connected to Redis',
    );
  });
  let clientIdPlain: string;

  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await database.drop().catch(() => {});
    temp.remove();
  });

  async function token(base: string, form: Record<string, string>, headers: Record<string, string> = {}) {
    const response = await fetch(`${base}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'api', ...form }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, string> };
  }

  it('an assertion accepted by A is refused by B', async () => {
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({
      iss: clientId,
      sub: clientId,
      aud: ISSUER,
      jti: randomUUID(),
      exp: now + 60,
    })
      .setProtectedHeader({ alg: 'ES256', kid })
      .sign(privateKey);
    const form = { client_assertion_type: JWT_BEARER, client_assertion: assertion };
    assert.equal((await token(bases[0] as string, form)).status, 200);
    const replayed = await token(bases[1] as string, form);
    assert.equal(replayed.status, 401);
    assert.match(replayed.body.error_description ?? '', /used before/);
  });

  it('a DPoP proof accepted by A is refused by B', async () => {
    const pair = await generateKeyPair('ES256');
    const proof = await new SignJWT({ htm: 'POST', htu: `${ISSUER}/oauth2/token`, jti: randomUUID() })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(pair.publicKey) })
      .setIssuedAt()
      .sign(pair.privateKey);
    const form = { client_id: clientIdPlain, client_secret: clientSecret };
    const first = await token(bases[0] as string, form, { dpop: proof });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.token_type, 'DPoP');
    const replayed = await token(bases[1] as string, form, { dpop: proof });
    assert.equal(replayed.status, 400);
    assert.equal(replayed.body.error, 'invalid_dpop_proof');
  });
});
