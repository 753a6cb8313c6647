import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import * as client from 'openid-client';
import { pino } from 'pino';
import { type RunningServer, startServer } from '../../src/server/start-server.js';
import { freePort, randomKeyHex } from '../helpers/child-process.js';
import { TEST_ACTOR, tempDir, testConfig } from '../helpers/test-server.js';

const ISSUER = 'http://lean-auth.test';

// DPOP_NONCE=on end to end: openid-client learns the nonce from use_dpop_nonce and retries by itself.
// Two instances over one database and one KEY_ENCRYPTION_KEY, both under the one issuer: a nonce
// one of them gave is taken by the other, with nothing shared between them at run time.
describe('DPoP server nonces (RFC 9449 §8) across two instances', { timeout: 60_000 }, () => {
  const temp = tempDir();
  const servers: RunningServer[] = [];
  const bases: string[] = [];
  let app: { clientId: string; clientSecret: string };
  /** Which instance openid-client's requests go to, and what each answered. */
  let target = 0;
  const answers: { instance: number; status: number; nonce: string | null }[] = [];

  before(async () => {
    const env = { ISSUER, KEY_ENCRYPTION_KEY: randomKeyHex(), DPOP_NONCE: 'on' };
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      servers.push(
        await startServer(testConfig(temp.dir, { ...env, PORT: String(port) }), pino({ level: 'silent' })),
      );
      bases.push(`http://127.0.0.1:${port}`);
    }
    const created = await (servers[0] as RunningServer).services.applications.create(
      { name: 'nonces' },
      TEST_ACTOR,
    );
    app = { clientId: created.application.clientId, clientSecret: created.clientSecret };
  });

  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    temp.remove();
  });

  /** Sends openid-client's requests for the issuer to the target instance. */
  const routed: client.CustomFetch = async (url, options) => {
    const instance = target;
    const response = await fetch(url.replace(ISSUER, bases[instance] as string), options as RequestInit);
    if (url.endsWith('/oauth2/token')) {
      answers.push({ instance, status: response.status, nonce: response.headers.get('dpop-nonce') });
    }
    return response;
  };

  async function configuration(): Promise<client.Configuration> {
    const config = await client.discovery(
      new URL(ISSUER),
      app.clientId,
      undefined,
      client.ClientSecretPost(app.clientSecret),
      { execute: [client.allowInsecureRequests], [client.customFetch]: routed },
    );
    config[client.customFetch] = routed;
    return config;
  }

  it('openid-client is told use_dpop_nonce, retries with the nonce, and instance B takes A’s nonce', async () => {
    const config = await configuration();
    const dpop = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
    answers.length = 0;
    target = 0;
    const first = await client.clientCredentialsGrant(config, { scope: 'api' }, { DPoP: dpop });
    assert.equal(first.token_type, 'dpop');
    assert.deepEqual(
      answers.map((a) => [a.instance, a.status]),
      [
        [0, 400],
        [0, 200],
      ],
      'one use_dpop_nonce, then the retry with the nonce',
    );
    assert.ok(answers[0]?.nonce, 'the use_dpop_nonce answer carries DPoP-Nonce');
    assert.equal(
      answers[1]?.nonce,
      answers[0]?.nonce,
      'the token answer carries the nonce for the next proof',
    );
    target = 1;
    const second = await client.clientCredentialsGrant(config, { scope: 'api' }, { DPoP: dpop });
    assert.equal(second.token_type, 'dpop');
    assert.deepEqual(answers[2], { instance: 1, status: 200, nonce: answers[0]?.nonce });
    assert.equal(answers.length, 3, 'B took the nonce A gave: no retry');
  });

  async function proof(nonce?: string): Promise<string> {
    const pair = await generateKeyPair('ES256');
    return new SignJWT({ htm: 'POST', htu: `${ISSUER}/oauth2/token`, jti: randomUUID(), nonce })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(pair.publicKey) })
      .setIssuedAt()
      .sign(pair.privateKey);
  }

  async function token(dpop: string | undefined) {
    const response = await fetch(`${bases[0]}/oauth2/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(dpop !== undefined && { dpop }),
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'api', ...toForm(app) }),
    });
    return {
      status: response.status,
      body: (await response.json()) as Record<string, string>,
      nonce: response.headers.get('dpop-nonce'),
      challenge: response.headers.get('www-authenticate'),
    };
  }

  it('answers a missing or made-up nonce 400 use_dpop_nonce, with the nonce and a DPoP challenge', async () => {
    for (const [nonce, description] of [
      [undefined, /must carry the nonce/],
      ['made-up', /nonce is not current/],
      ['A'.repeat(43), /nonce is not current/],
    ] as const) {
      const refused = await token(await proof(nonce));
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error, 'use_dpop_nonce');
      assert.match(refused.body.error_description ?? '', description);
      assert.match(refused.challenge ?? '', /^DPoP error="use_dpop_nonce"/);
      assert.match(refused.nonce ?? '', /^[\w-]{43}$/);
      const retried = await token(await proof(refused.nonce ?? ''));
      assert.equal(retried.status, 200, JSON.stringify(retried.body));
      assert.equal(retried.body.token_type, 'DPoP');
    }
  });

  it('asks no nonce of a request without a DPoP proof, and gives it none', async () => {
    const plain = await token(undefined);
    assert.equal(plain.status, 200);
    assert.equal(plain.body.token_type, 'bearer');
    assert.equal(plain.nonce, null);
  });

  it('an instance with another KEY_ENCRYPTION_KEY does not take the nonce', async () => {
    const nonce = (await token(await proof())).nonce ?? '';
    const port = await freePort();
    const otherDir = tempDir();
    const other = await startServer(
      testConfig(otherDir.dir, { ISSUER, DPOP_NONCE: 'on', PORT: String(port) }),
      pino({ level: 'silent' }),
    );
    try {
      const created = await other.services.applications.create({ name: 'other' }, TEST_ACTOR);
      const response = await fetch(`http://127.0.0.1:${port}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: await proof(nonce) },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          scope: 'api',
          client_id: created.application.clientId,
          client_secret: created.clientSecret,
        }),
      });
      assert.equal(response.status, 400);
      assert.equal(((await response.json()) as { error: string }).error, 'use_dpop_nonce');
    } finally {
      await other.close();
      otherDir.remove();
    }
  });
});

function toForm(credentials: { clientId: string; clientSecret: string }): Record<string, string> {
  return { client_id: credentials.clientId, client_secret: credentials.clientSecret };
}
