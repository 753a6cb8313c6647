import assert from 'node:assert/strict';
import { randomUUID, webcrypto } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import * as client from 'openid-client';
import { pino } from 'pino';
import { ASSERTION_FAILED } from '../../src/oauth/client-authentication.js';
import { JWT_BEARER } from '../../src/oauth/private-key-jwt.js';
import { type RunningServer, startServer } from '../../src/server/start-server.js';
import { freePort } from '../helpers/child-process.js';
import { TEST_ACTOR, tempDir, testConfig } from '../helpers/test-server.js';

interface Key {
  readonly alg: string;
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

async function key(alg: string): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `${alg.toLowerCase()}-${randomUUID().slice(0, 8)}`;
  return { alg, kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid } };
}

// private_key_jwt end to end: openid-client signs the assertion, a server on a real socket checks it.
describe('private_key_jwt (RFC 7523) with openid-client', { timeout: 60_000 }, () => {
  const temp = tempDir();
  let server: RunningServer;
  let issuer: string;
  let clientId: string;
  let keys: Key[];

  before(async () => {
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    server = await startServer(
      testConfig(temp.dir, { PORT: String(port), ISSUER: issuer, JWKS_URI_ALLOW_PRIVATE: 'true' }),
      pino({ level: 'silent' }),
    );
    keys = await Promise.all(['ES256', 'EdDSA', 'RS256', 'PS256'].map(key));
    const created = await server.services.applications.create(
      {
        name: 'keyed',
        tokenEndpointAuthMethod: 'private_key_jwt',
        jwks: { keys: keys.map((k) => k.publicJwk) },
      },
      TEST_ACTOR,
    );
    clientId = created.application.clientId;
  });

  after(async () => {
    await server?.close();
    temp.remove();
  });

  async function configuration(k: Key): Promise<client.Configuration> {
    const config = await client.discovery(
      new URL(issuer),
      clientId,
      undefined,
      client.PrivateKeyJwt({ key: k.privateKey, kid: k.kid }),
      { execute: [client.allowInsecureRequests] },
    );
    return config;
  }

  for (const alg of ['ES256', 'EdDSA', 'RS256', 'PS256']) {
    it(`issues a token for an assertion signed with ${alg}`, async () => {
      const k = keys.find((candidate) => candidate.alg === alg);
      assert.ok(k);
      const tokens = await client.clientCredentialsGrant(await configuration(k), { scope: 'api' });
      assert.equal(tokens.token_type.toLowerCase(), 'bearer');
      assert.ok(tokens.access_token);
    });
  }

  it('advertises private_key_jwt and its signing algorithms in the metadata', async () => {
    const metadata = (await (
      await fetch(`${issuer}/.well-known/oauth-authorization-server`)
    ).json()) as Record<string, string[]>;
    assert.ok(metadata.token_endpoint_auth_methods_supported?.includes('private_key_jwt'));
    assert.deepEqual(metadata.token_endpoint_auth_signing_alg_values_supported, [
      'RS256',
      'PS256',
      'ES256',
      'EdDSA',
      'Ed25519',
    ]);
  });

  /** A hand-made assertion, so that a test can get each claim wrong. */
  async function assertion(
    claims: Record<string, unknown> = {},
    { signer = keys[0] as Key, kid = signer.kid as string | undefined } = {},
  ): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      iss: clientId,
      sub: clientId,
      aud: issuer,
      jti: randomUUID(),
      exp: now + 60,
      iat: now,
      ...claims,
    })
      .setProtectedHeader({ alg: signer.alg, ...(kid !== undefined && { kid }) })
      .sign(signer.privateKey);
  }

  async function token(
    form: Record<string, string>,
  ): Promise<{ status: number; body: Record<string, string> }> {
    const response = await fetch(`${issuer}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'api', ...form }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, string> };
  }

  const withAssertion = (jwt: string) => token({ client_assertion_type: JWT_BEARER, client_assertion: jwt });

  async function refused(jwt: string, description: RegExp | string): Promise<void> {
    const { status, body } = await withAssertion(jwt);
    assert.equal(status, 401, JSON.stringify(body));
    assert.equal(body.error, 'invalid_client');
    if (typeof description === 'string') assert.equal(body.error_description, description);
    else assert.match(String(body.error_description), description);
  }

  it('accepts the token endpoint URL as aud, and refuses the same assertion a second time', async () => {
    const jwt = await assertion({ aud: `${issuer}/oauth2/token` });
    assert.equal((await withAssertion(jwt)).status, 200);
    await refused(jwt, /has been used before/);
  });

  it('accepts alg EdDSA as well as its fully specified name Ed25519 (what openid-client sends)', async () => {
    assert.equal((await withAssertion(await assertion({}, { signer: keys[1] as Key }))).status, 200);
  });

  it('refuses a wrong aud, naming the accepted ones', async () => {
    await refused(await assertion({ aud: 'https://elsewhere.example' }), /aud must be the issuer/);
  });

  it('refuses an expired assertion, and one that lives more than 5 minutes', async () => {
    const now = Math.floor(Date.now() / 1000);
    await refused(await assertion({ exp: now - 60, iat: now - 120 }), /has expired/);
    await refused(await assertion({ exp: now + 600 }), /at most 300 seconds ahead/);
  });

  it('refuses an assertion without exp or jti', async () => {
    await refused(await assertion({ exp: undefined }), /"exp"/);
    await refused(await assertion({ jti: undefined }), /"jti"/);
  });

  it('refuses alg none and HMAC before looking at any client', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    const payload = Buffer.from(
      JSON.stringify({
        iss: clientId,
        sub: clientId,
        aud: issuer,
        jti: randomUUID(),
        exp: Math.floor(Date.now() / 1000) + 60,
      }),
    ).toString('base64url');
    await refused(
      `${header}.${payload}.`,
      /must be signed with RS256, PS256, ES256, EdDSA, Ed25519, not none/,
    );
    const hmac = await new SignJWT({ iss: clientId, sub: clientId, aud: issuer, jti: randomUUID() })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1m')
      .sign(webcrypto.getRandomValues(new Uint8Array(32)));
    await refused(hmac, /not HS256/);
  });

  it('refuses a key the application does not have exactly as an unknown client_id', async () => {
    const stranger = await key('ES256');
    // Its kid claims to be one the application has: the signature still does not verify.
    await refused(await assertion({}, { signer: stranger, kid: keys[0]?.kid }), ASSERTION_FAILED);
    await refused(await assertion({}, { signer: stranger }), ASSERTION_FAILED);
    const unknown = randomUUID();
    await refused(await assertion({ iss: unknown, sub: unknown }), ASSERTION_FAILED);
  });

  it('refuses an assertion for an application that uses client secrets, as a failed authentication', async () => {
    const secretApp = await server.services.applications.create({ name: 'secrets' }, TEST_ACTOR);
    const id = secretApp.application.clientId;
    await refused(await assertion({ iss: id, sub: id }), ASSERTION_FAILED);
  });

  it('refuses iss other than sub, and a client_id that differs from sub', async () => {
    await refused(await assertion({ iss: randomUUID() }), /iss and sub, both the client_id/);
    const { status, body } = await token({
      client_assertion_type: JWT_BEARER,
      client_assertion: await assertion(),
      client_id: randomUUID(),
    });
    assert.equal(status, 400);
    assert.equal(body.error, 'invalid_request');
  });

  it('refuses a wrong client_assertion_type, a missing assertion, and one sent with a secret', async () => {
    const wrongType = await token({ client_assertion_type: 'urn:x', client_assertion: await assertion() });
    assert.match(wrongType.body.error_description ?? '', /client_assertion_type must be/);
    const missing = await token({ client_assertion_type: JWT_BEARER });
    assert.match(missing.body.error_description ?? '', /client_assertion is missing/);
    const both = await token({
      client_assertion_type: JWT_BEARER,
      client_assertion: await assertion(),
      client_id: clientId,
      client_secret: 'x',
    });
    assert.equal(both.status, 400);
    assert.match(both.body.error_description ?? '', /use one method/);
    const garbage = await withAssertion('not.a.jwt');
    assert.match(garbage.body.error_description ?? '', /not a signed JWT/);
  });

  it('verifies with keys published at a jwks_uri (on loopback, allowed by JWKS_URI_ALLOW_PRIVATE)', async () => {
    const k = await key('ES256');
    const published = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: [k.publicJwk] }));
    });
    await new Promise<void>((resolve) => published.listen(0, '127.0.0.1', resolve));
    try {
      const created = await server.services.applications.create(
        {
          name: 'remote keys',
          tokenEndpointAuthMethod: 'private_key_jwt',
          jwksUri: `http://127.0.0.1:${(published.address() as AddressInfo).port}/jwks.json`,
        },
        TEST_ACTOR,
      );
      const config = await client.discovery(
        new URL(issuer),
        created.application.clientId,
        undefined,
        client.PrivateKeyJwt({ key: k.privateKey, kid: k.kid }),
        { execute: [client.allowInsecureRequests] },
      );
      const tokens = await client.clientCredentialsGrant(config, { scope: 'api' });
      assert.ok(tokens.access_token);
    } finally {
      published.closeAllConnections();
      published.close();
    }
  });

  it('authenticates introspection by private_key_jwt too', async () => {
    const issued = await withAssertion(await assertion());
    const response = await fetch(`${issuer}/oauth2/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token: String(issued.body.access_token),
        client_assertion_type: JWT_BEARER,
        client_assertion: await assertion(),
      }),
    });
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { active: boolean }).active, true);
  });
});
