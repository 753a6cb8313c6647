import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  type CryptoKey,
  calculateJwkThumbprint,
  decodeJwt,
  exportJWK,
  generateKeyPair,
  type JWK,
  SignJWT,
} from 'jose';
import * as client from 'openid-client';
import { pino } from 'pino';
import { type RunningServer, startServer } from '../../src/server/start-server.js';
import { freePort } from '../helpers/child-process.js';
import { TEST_ACTOR, tempDir, testConfig } from '../helpers/test-server.js';

// DPoP end to end: openid-client makes the proofs, a server on a real socket binds the tokens.
describe('DPoP (RFC 9449) with openid-client', { timeout: 60_000 }, () => {
  const temp = tempDir();
  let server: RunningServer;
  let issuer: string;
  let app: { clientId: string; clientSecret: string };
  let bound: { clientId: string; clientSecret: string };

  before(async () => {
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    server = await startServer(
      testConfig(temp.dir, { PORT: String(port), ISSUER: issuer }),
      pino({ level: 'silent' }),
    );
    const created = await server.services.applications.create({ name: 'dpop' }, TEST_ACTOR);
    app = { clientId: created.application.clientId, clientSecret: created.clientSecret };
    const mandatory = await server.services.applications.create(
      { name: 'dpop bound', dpopBoundAccessTokens: true },
      TEST_ACTOR,
    );
    bound = { clientId: mandatory.application.clientId, clientSecret: mandatory.clientSecret };
  });

  after(async () => {
    await server?.close();
    temp.remove();
  });

  async function introspect(token: string): Promise<Record<string, unknown>> {
    const response = await fetch(`${issuer}/oauth2/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, client_id: app.clientId, client_secret: app.clientSecret }),
    });
    return (await response.json()) as Record<string, unknown>;
  }

  it('binds the token to the proof key: token_type DPoP, cnf.jkt in the token and at introspection', async () => {
    const config = await client.discovery(
      new URL(issuer),
      app.clientId,
      undefined,
      client.ClientSecretPost(app.clientSecret),
      { execute: [client.allowInsecureRequests] },
    );
    const keyPair = await client.randomDPoPKeyPair('ES256');
    const dpop = client.getDPoPHandle(config, keyPair);
    const tokens = await client.clientCredentialsGrant(config, { scope: 'api' }, { DPoP: dpop });
    assert.equal(tokens.token_type, 'dpop');
    const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
    assert.deepEqual(decodeJwt(tokens.access_token).cnf, { jkt });
    const introspected = await introspect(tokens.access_token);
    assert.equal(introspected.token_type, 'DPoP');
    assert.deepEqual(introspected.cnf, { jkt });
  });

  it('a token without a proof stays a bearer token, without cnf', async () => {
    const response = await token(app, undefined);
    assert.equal(response.status, 200);
    assert.equal(response.body.token_type, 'bearer');
    assert.equal(decodeJwt(String(response.body.access_token)).cnf, undefined);
  });

  it('advertises its DPoP algorithms, and takes a proof by each of them from openid-client', async () => {
    const metadata = (await (
      await fetch(`${issuer}/.well-known/oauth-authorization-server`)
    ).json()) as Record<string, unknown>;
    const algs = metadata.dpop_signing_alg_values_supported as string[];
    assert.deepEqual(algs, ['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519']);
    const config = await client.discovery(
      new URL(issuer),
      app.clientId,
      undefined,
      client.ClientSecretPost(app.clientSecret),
      { execute: [client.allowInsecureRequests] },
    );
    for (const alg of algs) {
      const dpop = client.getDPoPHandle(config, await client.randomDPoPKeyPair(alg));
      const tokens = await client.clientCredentialsGrant(config, { scope: 'api' }, { DPoP: dpop });
      assert.equal(tokens.token_type, 'dpop', alg);
    }
  });

  let key: { privateKey: CryptoKey; jwk: JWK };
  before(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    key = { privateKey: pair.privateKey, jwk: await exportJWK(pair.publicKey) };
  });

  async function proof(
    claims: Record<string, unknown> = {},
    header: Record<string, unknown> = {},
  ): Promise<string> {
    return new SignJWT({
      htm: 'POST',
      htu: `${issuer}/oauth2/token`,
      iat: Math.floor(Date.now() / 1000),
      jti: randomUUID(),
      ...claims,
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk, ...header })
      .sign(key.privateKey);
  }

  async function token(
    credentials: { clientId: string; clientSecret: string },
    dpop: string | string[] | undefined,
  ): Promise<{ status: number; body: Record<string, unknown>; challenge: string | null }> {
    const headers = new Headers({ 'content-type': 'application/x-www-form-urlencoded' });
    for (const value of [dpop ?? []].flat()) headers.append('dpop', value);
    const response = await fetch(`${issuer}/oauth2/token`, {
      method: 'POST',
      headers,
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        scope: 'api',
        client_id: credentials.clientId,
        client_secret: credentials.clientSecret,
      }),
    });
    return {
      status: response.status,
      body: (await response.json()) as Record<string, unknown>,
      challenge: response.headers.get('www-authenticate'),
    };
  }

  async function refused(dpop: string | string[] | undefined, description: RegExp, credentials = app) {
    const response = await token(credentials, dpop);
    assert.equal(response.status, 400, JSON.stringify(response.body));
    assert.equal(response.body.error, 'invalid_dpop_proof');
    assert.match(String(response.body.error_description), description);
    assert.match(response.challenge ?? '', /^DPoP error="invalid_dpop_proof"/);
  }

  it('refuses the same proof twice', async () => {
    const once = await proof();
    assert.equal((await token(app, once)).status, 200);
    await refused(once, /used before/);
  });

  it('refuses a proof for another htu or htm', async () => {
    await refused(await proof({ htu: `${issuer}/oauth2/introspect` }), /htu must be/);
    await refused(await proof({ htm: 'GET' }), /htm must be POST/);
  });

  it('refuses a proof made too long ago, or in the future', async () => {
    await refused(await proof({ iat: Math.floor(Date.now() / 1000) - 300 }), /iat must be within 60 seconds/);
    await refused(
      await proof({ iat: Math.floor(Date.now() / 1000) + 300 }),
      /iat must be within 60 seconds|iat/,
    );
  });

  it('refuses a proof without typ dpop+jwt, without jti, with HMAC, or not a JWT', async () => {
    await refused(await proof({}, { typ: 'JWT' }), /typ/);
    await refused(await proof({ jti: undefined }), /jti/);
    const hmac = await new SignJWT({ htm: 'POST', htu: `${issuer}/oauth2/token`, jti: randomUUID() })
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt' })
      .setIssuedAt()
      .sign(new Uint8Array(32));
    await refused(hmac, /must be signed with RS256/);
    await refused('not-a-jwt', /one signed JWT/);
  });

  it('refuses two DPoP headers (fetch joins them into one field, which is then not one JWT)', async () => {
    await refused([await proof(), await proof()], /the DPoP header must be one signed JWT|one DPoP header/);
  });

  it('requires a proof of an application with dpop_bound_access_tokens', async () => {
    await refused(undefined, /must send a DPoP proof/, bound);
    const response = await token(bound, await proof());
    assert.equal(response.status, 200);
    assert.equal(response.body.token_type, 'DPoP');
  });
});
