import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import * as client from 'openid-client';
import { leanAuthFastify, requireAccessToken } from '../../src/kit/verify/index.js';
import { type KitServer, startKitServer } from './kit-server.js';

interface Answer {
  readonly status: number;
  readonly challenge: string;
  readonly body: Record<string, unknown>;
}

async function answerOf(response: Response): Promise<Answer> {
  return {
    status: response.status,
    challenge: response.headers.get('www-authenticate') ?? '',
    body: (await response.json()) as Record<string, unknown>,
  };
}

// A resource server guarded by lean-auth/verify takes a DPoP-bound token (RFC 9449 §7) only with a
// proof by its key for this request: openid-client gets the token from lean-auth and calls it.
describe('lean-auth/verify: DPoP-bound access tokens (RFC 9449 §7)', { timeout: 120_000 }, () => {
  let kit: KitServer;
  let fastify: FastifyInstance;
  let expressServer: { url: string; close: () => Promise<void> };
  /** The Fastify resource keeps the jti of every proof; the Express one keeps none. */
  let withCache: string;
  let withoutCache: string;
  let config: client.Configuration;
  let keys: client.CryptoKeyPair;
  let dpop: client.DPoPHandle;
  let token: string;
  /** The last request openid-client sent to a resource, to send again. */
  let sent: { url: string; headers: Headers } | undefined;

  before(async () => {
    kit = await startKitServer();
    const issuer = kit.issuer;
    fastify = Fastify();
    await fastify.register(leanAuthFastify, { issuer, scope: 'api', dpop: { replayCache: true } });
    fastify.all('/api/things', async (request) => ({ client_id: request.accessToken?.client_id }));
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    withCache = `http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}/api/things`;
    const app = express();
    app.all('/api/things', requireAccessToken({ issuer, scope: 'api' }), (_req, res) => {
      res.json({ ok: true });
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    expressServer = {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/things`,
      close: () => new Promise((resolve) => server.close(() => resolve())),
    };
    withoutCache = expressServer.url;

    config = await client.discovery(
      new URL(issuer),
      kit.client.clientId,
      undefined,
      client.ClientSecretPost(kit.client.clientSecret),
      { execute: [client.allowInsecureRequests] },
    );
    config[client.customFetch] = (url, options) => {
      if (url.includes('/api/things'))
        sent = { url, headers: new Headers(options.headers as ConstructorParameters<typeof Headers>[0]) };
      return fetch(url, options as RequestInit);
    };
    keys = await generateKeyPair('ES256');
    dpop = client.getDPoPHandle(config, keys);
    const tokens = await client.clientCredentialsGrant(config, { scope: 'api' }, { DPoP: dpop });
    assert.equal(tokens.token_type, 'dpop');
    token = tokens.access_token;
  });

  after(async () => {
    await fastify?.close();
    await expressServer?.close();
    await kit?.close();
  });

  /** openid-client's call of a resource: the Response, or the challenge it threw on. */
  async function call(url: string, method = 'GET', handle = dpop): Promise<Answer> {
    try {
      return await answerOf(
        await client.fetchProtectedResource(config, token, new URL(url), method, undefined, undefined, {
          DPoP: handle,
        }),
      );
    } catch (error) {
      if (!(error instanceof client.WWWAuthenticateChallengeError)) throw error;
      return answerOf(error.response);
    }
  }

  function refused(answer: Answer, error: string, description: RegExp): void {
    assert.equal(answer.status, 401, JSON.stringify(answer.body));
    assert.equal(answer.body.error, error);
    assert.match(String(answer.body.error_description), description);
    assert.match(answer.challenge, new RegExp(`^DPoP error="${error}"`));
  }

  /** A proof by the token's key, with what a test changes. */
  async function proof(claims: Record<string, unknown>, key: client.CryptoKeyPair = keys): Promise<string> {
    return new SignJWT({
      htm: 'GET',
      htu: withCache,
      iat: Math.floor(Date.now() / 1000),
      jti: randomUUID(),
      ath: createHash('sha256').update(token).digest('base64url'),
      ...claims,
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(key.publicKey) })
      .sign(key.privateKey);
  }

  async function raw(
    url: string,
    authorization: string,
    proofHeader?: string,
    method = 'GET',
  ): Promise<Answer> {
    const headers: Record<string, string> = { authorization };
    if (proofHeader !== undefined) headers.dpop = proofHeader;
    return answerOf(await fetch(url, { method, headers }));
  }

  it('takes the token with its proof, under Fastify and Express, for GET and POST', async () => {
    for (const url of [withCache, withoutCache]) {
      for (const method of ['GET', 'POST']) {
        const answer = await call(url, method);
        assert.equal(answer.status, 200, `${method} ${url}: ${JSON.stringify(answer.body)}`);
      }
    }
  });

  it('refuses the bound token without a proof, and sent as a bearer token', async () => {
    for (const url of [withCache, withoutCache]) {
      refused(await raw(url, `DPoP ${token}`), 'invalid_dpop_proof', /no DPoP proof/);
      refused(await raw(url, `Bearer ${token}`), 'invalid_token', /bound to a DPoP key/);
    }
  });

  it('refuses a proof by another key', async () => {
    const other = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
    refused(
      await call(withCache, 'GET', other),
      'invalid_dpop_proof',
      /not signed by the key the access token is bound to/,
    );
  });

  it('refuses a proof for another htu or htm, or another token', async () => {
    refused(
      await raw(withCache, `DPoP ${token}`, await proof({ htu: `${withCache}/other` })),
      'invalid_dpop_proof',
      /htu must be/,
    );
    refused(
      await raw(withCache, `DPoP ${token}`, await proof({ htm: 'POST' })),
      'invalid_dpop_proof',
      /htm must be GET/,
    );
    refused(
      await raw(withCache, `DPoP ${token}`, await proof({ ath: 'x'.repeat(43) })),
      'invalid_dpop_proof',
      /ath/,
    );
    refused(
      await raw(withCache, `DPoP ${token}`, await proof({ iat: Math.floor(Date.now() / 1000) - 300 })),
      'invalid_dpop_proof',
      /iat must be within 60 seconds/,
    );
    assert.equal(
      (await raw(withCache, `DPoP ${token}`, await proof({ htu: `${withCache}?page=2` }))).status,
      200,
      'the query is not part of htu',
    );
  });

  it('refuses a replayed proof where the replay cache is on, and only there', async () => {
    assert.equal((await call(withCache)).status, 200);
    const replay = sent as { url: string; headers: Headers };
    const again = await answerOf(await fetch(replay.url, { headers: replay.headers }));
    refused(again, 'invalid_dpop_proof', /used before/);

    assert.equal((await call(withoutCache)).status, 200);
    const once = sent as { url: string; headers: Headers };
    assert.equal(
      (await fetch(once.url, { headers: once.headers })).status,
      200,
      'no cache: taken again within its window',
    );
  });

  it('refuses an unbound token sent with the DPoP scheme, and still takes it as Bearer', async () => {
    const bearer = await kit.issueToken();
    refused(
      await raw(withCache, `DPoP ${bearer}`, await proof({})),
      'invalid_token',
      /not bound to a DPoP key/,
    );
    assert.equal((await raw(withCache, `Bearer ${bearer}`)).status, 200);
  });
});
