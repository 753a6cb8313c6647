import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK } from 'jose';
import * as client from 'openid-client';
import { pino } from 'pino';
import { startServer } from '../../src/server/start-server.js';
import { freePort } from '../helpers/child-process.js';
import { TEST_ACTOR, tempDir, testConfig } from '../helpers/test-server.js';

interface Key {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

async function key(): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const kid = randomUUID();
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid } };
}

/** A server of lean-auth whose clock the test moves, and whose warnings it reads. */
async function keyedServer(dir: string, env: Record<string, string>) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const clock = { offsetMs: 0, now: () => Date.now() + clock.offsetMs };
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const server = await startServer(
    testConfig(dir, { PORT: String(port), ISSUER: issuer, LOG_LEVEL: 'warn', ...env }),
    pino({ level: 'warn' }, sink),
    clock,
  );
  return { server, issuer, clock, lines };
}

// Keys published at a jwks_uri, end to end with openid-client: a server that rotates its keys, and
// a URI that fails, logged as a warning naming the application and why.
describe('private_key_jwt with a jwks_uri', { timeout: 60_000 }, () => {
  const temp = tempDir();
  let published: Server;
  let jwksUrl: string;
  /** What the key server answers: its keys, or a status. */
  let answer: { keys: JWK[] } | number;

  before(async () => {
    published = createServer((_request, response) => {
      if (typeof answer === 'number') return void response.writeHead(answer).end();
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=3600' });
      response.end(JSON.stringify(answer));
    });
    await new Promise<void>((resolve) => published.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(published.address() as AddressInfo).port}/jwks.json`;
  });

  after(() => {
    published.closeAllConnections();
    published.close();
    temp.remove();
  });

  async function grant(issuer: string, clientId: string, k: Key, skewSeconds: number) {
    const config = await client.discovery(
      new URL(issuer),
      clientId,
      // The client's clock moved with the server's, so that its assertions are current there.
      { [client.clockSkew]: skewSeconds },
      client.PrivateKeyJwt({ key: k.privateKey, kid: k.kid }),
      { execute: [client.allowInsecureRequests] },
    );
    return client.clientCredentialsGrant(config, { scope: 'api' });
  }

  async function refusal(promise: Promise<unknown>): Promise<string> {
    const error = await promise.then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e as client.ResponseBodyError,
    );
    assert.equal(error.error, 'invalid_client');
    return error.error_description ?? '';
  }

  it('follows a key server that rotates its keys (the new kid fetched once the minute is up)', async () => {
    const { server, issuer, clock } = await keyedServer(`${temp.dir}/rotate`, {
      JWKS_URI_ALLOW_PRIVATE: 'true',
    });
    try {
      const [first, second] = [await key(), await key()];
      answer = { keys: [first.publicJwk] };
      const created = await server.services.applications.create(
        { name: 'rotating', tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: jwksUrl },
        TEST_ACTOR,
      );
      const clientId = created.application.clientId;
      assert.ok((await grant(issuer, clientId, first, 0)).access_token);
      answer = { keys: [second.publicJwk] };
      // Cached for an hour (max-age): an unknown kid refetches, at most once a minute.
      clock.offsetMs = 61_000;
      assert.ok((await grant(issuer, clientId, second, 61)).access_token, 'the new key, fetched for its kid');
      await refusal(grant(issuer, clientId, first, 61));
    } finally {
      await server.close();
    }
  });

  it('refuses a jwks_uri on a private address (SSRF) and a failing one, warning with client_id and reason', async () => {
    const { server, issuer, clock, lines } = await keyedServer(`${temp.dir}/guarded`, {});
    try {
      const k = await key();
      answer = { keys: [k.publicJwk] };
      const created = await server.services.applications.create(
        { name: 'private uri', tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: jwksUrl },
        TEST_ACTOR,
      );
      const clientId = created.application.clientId;
      assert.match(await refusal(grant(issuer, clientId, k, 0)), /client authentication failed/);
      assert.match(await refusal(grant(issuer, clientId, k, 0)), /client authentication failed/);
      const warnings = () => lines.filter((l) => String(l.msg).includes('jwks_uri failed'));
      assert.equal(warnings().length, 1, 'once a minute, however often asked');
      const [warning] = warnings();
      assert.equal(warning?.client_id, clientId);
      assert.equal(warning?.jwks_uri, jwksUrl);
      assert.match(String(warning?.reason), /127\.0\.0\.1 is a private or loopback address/);
      assert.equal(warning?.level, 40, 'a warning');
      assert.doesNotMatch(JSON.stringify(lines), /eyJ/, 'no assertion (nor any JWT) in the log');
      clock.offsetMs = 61_000;
      await refusal(grant(issuer, clientId, k, 61));
      assert.equal(warnings().length, 2, 'the next minute, tried and told again');
    } finally {
      await server.close();
    }
  });

  it('warns of a key server answering 503', async () => {
    const { server, issuer, lines } = await keyedServer(`${temp.dir}/status`, {
      JWKS_URI_ALLOW_PRIVATE: 'true',
    });
    try {
      const k = await key();
      answer = 503;
      const created = await server.services.applications.create(
        { name: 'down', tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: `${jwksUrl}?v=1` },
        TEST_ACTOR,
      );
      await refusal(grant(issuer, created.application.clientId, k, 0));
      const warning = lines.find((l) => String(l.msg).includes('jwks_uri failed'));
      assert.equal(warning?.client_id, created.application.clientId);
      assert.equal(warning?.jwks_uri, jwksUrl, 'without the query');
      assert.equal(warning?.reason, 'jwks_uri answered 503');
    } finally {
      await server.close();
    }
  });
});
