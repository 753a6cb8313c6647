import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { JWK } from 'jose';
import type { Client } from '../../src/domain/client.js';
import { isPrivateAddress } from '../../src/server/address-guard.js';
import { RemoteJwks, type RemoteJwksOptions } from '../../src/server/remote-jwks.js';

function publicJwk(kid: string): JWK {
  return { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }), kid };
}

const clientAt = (jwksUri: string) => ({ jwks: null, jwksUri }) as unknown as Client;

/** A JWKS endpoint on loopback whose keys, headers and behaviour a test changes as it goes. */
describe('RemoteJwks: jwks_uri fetched, cached and guarded', () => {
  let server: Server;
  let base: string;
  let keys: JWK[] = [publicJwk('k1')];
  let cacheControl: string | undefined = 'max-age=600';
  let body: (() => string) | undefined;
  let hang = false;
  let fetches = 0;

  before(async () => {
    server = createServer((_request, response) => {
      fetches += 1;
      if (hang) return;
      response.writeHead(200, {
        'content-type': 'application/jwk-set+json',
        ...(cacheControl !== undefined && { 'cache-control': cacheControl }),
      });
      response.end(body?.() ?? JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  function remote(now: { t: number }, options: Partial<RemoteJwksOptions> = {}) {
    const errors: string[] = [];
    const jwks = new RemoteJwks({
      allowPrivate: true,
      requireHttps: false,
      now: () => now.t,
      onError: (_client, _uri, error) => errors.push(String(error)),
      ...options,
    });
    return { jwks, errors };
  }

  it('fetches on a cold cache, then answers from memory; a rotated key is fetched for its unknown kid, once a minute at most', async () => {
    keys = [publicJwk('k1')];
    cacheControl = 'max-age=600';
    const now = { t: 0 };
    const { jwks } = remote(now);
    const client = clientAt(`${base}/rotating`);
    const before = fetches;
    assert.deepEqual(
      (await jwks.keysOf(client, 'k1'))?.keys.map((k) => k.kid),
      ['k1'],
    );
    await jwks.keysOf(client, 'k1');
    assert.equal(fetches, before + 1);
    keys = [publicJwk('k2')];
    now.t = 30_000;
    // Within the minute: the unknown kid is not fetched again.
    assert.deepEqual(
      (await jwks.keysOf(client, 'k2'))?.keys.map((k) => k.kid),
      ['k1'],
    );
    assert.equal(fetches, before + 1);
    now.t = 61_000;
    assert.deepEqual(
      (await jwks.keysOf(client, 'k2'))?.keys.map((k) => k.kid),
      ['k2'],
    );
    assert.equal(fetches, before + 2);
  });

  it('honours Cache-Control within bounds: stale keys answer while a refetch runs', async () => {
    keys = [publicJwk('a')];
    cacheControl = 'max-age=5';
    const now = { t: 0 };
    const { jwks } = remote(now);
    const client = clientAt(`${base}/cached`);
    const before = fetches;
    await jwks.keysOf(client, 'a');
    now.t = 30_000; // max-age=5 is raised to the one-minute floor: still fresh
    await jwks.keysOf(client, 'a');
    assert.equal(fetches, before + 1);
    now.t = 61_000;
    keys = [publicJwk('b')];
    assert.deepEqual(
      (await jwks.keysOf(client, 'a'))?.keys.map((k) => k.kid),
      ['a'],
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(fetches, before + 2);
    assert.deepEqual(
      (await jwks.keysOf(client, 'b'))?.keys.map((k) => k.kid),
      ['b'],
    );
  });

  it('refuses loopback and private addresses unless allowed, by literal and by name', async () => {
    const now = { t: 0 };
    const { jwks, errors } = remote(now, { allowPrivate: false });
    const before = fetches;
    assert.equal(await jwks.keysOf(clientAt(`${base}/ssrf`), undefined), null);
    const port = (server.address() as AddressInfo).port;
    assert.equal(await jwks.keysOf(clientAt(`http://localhost:${port}/ssrf`), undefined), null);
    assert.equal(fetches, before, 'the guarded fetch reached the loopback server');
    assert.match(errors[0] ?? '', /127\.0\.0\.1 is a private or loopback address/);
    assert.match(errors[1] ?? '', /localhost resolves to (127\.0\.0\.1|::1), a private or loopback address/);
  });

  it('refuses http when https is required', async () => {
    const { jwks, errors } = remote({ t: 0 }, { requireHttps: true });
    assert.equal(await jwks.keysOf(clientAt(`${base}/plain`), undefined), null);
    assert.match(errors[0] ?? '', /must be https/);
  });

  it('refuses an answer over the size cap, a set with a private key, and one that is not JSON', async () => {
    const { jwks, errors } = remote({ t: 0 }, { maxBytes: 1024 });
    body = () =>
      JSON.stringify({
        keys: [publicJwk('big'), ...Array.from({ length: 9 }, (_, i) => publicJwk(`x${i}`))],
      });
    assert.equal(await jwks.keysOf(clientAt(`${base}/big`), undefined), null);
    assert.match(errors[0] ?? '', /more than 1024 bytes/);
    body = () =>
      JSON.stringify({
        keys: [generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' })],
      });
    assert.equal(await jwks.keysOf(clientAt(`${base}/private`), undefined), null);
    assert.match(errors[1] ?? '', /private key material/);
    body = () => 'not json';
    assert.equal(await jwks.keysOf(clientAt(`${base}/garbage`), undefined), null);
    assert.equal(errors.length, 3);
    assert.match(errors[2] ?? '', /answered something that is not JSON/);
    assert.doesNotMatch(errors[2] ?? '', /not json"/, 'the body is not quoted');
    body = undefined;
  });

  it('gives up on a URI that does not answer within the timeout', async () => {
    hang = true;
    const { jwks, errors } = remote({ t: 0 }, { timeoutMs: 200 });
    const started = Date.now();
    assert.equal(await jwks.keysOf(clientAt(`${base}/slow`), undefined), null);
    assert.ok(Date.now() - started < 2_000);
    assert.match(errors[0] ?? '', /did not answer within 200 ms/);
    hang = false;
  });

  it('tries a URI that failed again only once a minute, however often it is asked', async () => {
    hang = false;
    body = () => 'not json';
    const now = { t: 0 };
    const { jwks } = remote(now);
    const client = clientAt(`${base}/failing`);
    const before = fetches;
    assert.equal(await jwks.keysOf(client, 'k'), null);
    assert.equal(await jwks.keysOf(client, 'k'), null);
    now.t = 30_000;
    assert.equal(await jwks.keysOf(client, 'k'), null);
    assert.equal(fetches, before + 1);
    body = undefined;
    now.t = 61_000;
    assert.ok(await jwks.keysOf(client, 'k'));
    assert.equal(fetches, before + 2);
  });

  it('an inline jwks answers without any fetch', async () => {
    const { jwks } = remote({ t: 0 });
    const inline = { keys: [publicJwk('i')] };
    assert.equal(await jwks.keysOf({ jwks: inline, jwksUri: null } as unknown as Client, 'i'), inline);
  });
});

describe('isPrivateAddress', () => {
  for (const address of [
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    '::',
    'fd00::1',
    'fe80::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
  ]) {
    it(`refuses ${address}`, () => assert.equal(isPrivateAddress(address), true));
  }
  for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
    it(`allows ${address}`, () => assert.equal(isPrivateAddress(address), false));
  }
});
