import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import { JWKS_MAX_AGE_SECONDS } from '../../../src/domain/signing-keys.js';
import {
  type AdminTestServer,
  expectRefusedWithoutChange,
  startAdminServer,
} from '../../helpers/admin-server.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import type { ClientCredentials } from '../../helpers/test-server.js';

const KEY_FIELDS = ['activates_at', 'alg', 'created_at', 'expires_at', 'kid', 'state'];

interface KeyView {
  kid: string;
  alg: string;
  state: 'next' | 'active' | 'retired';
  created_at: string;
  activates_at: string;
  expires_at: string | null;
}

const clock = new FakeClock();
let server: AdminTestServer;
let client: ClientCredentials;

before(async () => {
  server = await startAdminServer({ clock });
  client = await server.createApplication();
});
after(() => server.close());

async function listKeys(): Promise<KeyView[]> {
  const response = await server.admin('GET', '/keys');
  assert.equal(response.statusCode, 200, response.body);
  assert.deepEqual(Object.keys(response.json()), ['items']);
  return response.json().items;
}

async function jwksKids(): Promise<string[]> {
  const response = await server.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
  assert.equal(response.statusCode, 200, response.body);
  return response.json().keys.map((k: { kid: string }) => k.kid);
}

async function signingKid(): Promise<string> {
  const response = await server.requestToken(client);
  assert.equal(response.statusCode, 200, response.body);
  return String(decodeProtectedHeader(response.json().access_token).kid);
}

describe('GET /admin/v1/keys', () => {
  it('lists the published keys without key material: one active key at first', async () => {
    const response = await server.admin('GET', '/keys');
    assert.equal(response.headers['cache-control'], 'no-store');
    const keys = await listKeys();
    assert.equal(keys.length, 1);
    const [key] = keys;
    assert.ok(key);
    assert.deepEqual(Object.keys(key).sort(), KEY_FIELDS);
    assert.equal(key.state, 'active');
    assert.equal(key.alg, 'RS256');
    assert.equal(key.expires_at, null);
    assert.equal(key.activates_at, key.created_at);
    assert.deepEqual(await jwksKids(), [key.kid]);
    assert.equal(await signingKid(), key.kid);
    assert.doesNotMatch(response.body, /"(d|p|q|dp|dq|qi|n|e|x|y|k|\w*private\w*|\w*sealed\w*|\w*jwk\w*)":/i);
  });
});

describe('POST /admin/v1/keys/rotate', () => {
  it('pre-publishes the next key in the JWKS before it signs, then switches, keeping the old one retired', async () => {
    const [current] = await listKeys();
    assert.ok(current);
    const response = await server.admin('POST', '/keys/rotate', {});
    assert.equal(response.statusCode, 201, response.body);
    const next: KeyView = response.json();
    assert.deepEqual(Object.keys(next).sort(), KEY_FIELDS);
    assert.equal(next.state, 'next');
    assert.equal(next.created_at, new Date(clock.now()).toISOString());
    const lead = Date.parse(next.activates_at) - Date.parse(next.created_at);
    assert.ok(
      lead > JWKS_MAX_AGE_SECONDS * 1000,
      `published ${lead} ms ahead, not more than the JWKS max-age`,
    );

    // Published at once, signing not yet.
    assert.deepEqual(await jwksKids(), [next.kid, current.kid]);
    assert.deepEqual(
      (await listKeys()).map((k) => [k.kid, k.state]),
      [
        [next.kid, 'next'],
        [current.kid, 'active'],
      ],
    );
    assert.equal(await signingKid(), current.kid);

    clock.advance(lead - 1);
    assert.equal(await signingKid(), current.kid);
    clock.advance(1);
    assert.equal(await signingKid(), next.kid);
    const keys = await listKeys();
    assert.deepEqual(
      keys.map((k) => [k.kid, k.state]),
      [
        [next.kid, 'active'],
        [current.kid, 'retired'],
      ],
    );
    const retired = keys[1];
    assert.ok(retired?.expires_at !== null && retired?.expires_at !== undefined);
    assert.ok(
      Date.parse(retired.expires_at) >= Date.parse(next.activates_at) + 3600_000,
      'outlives its tokens',
    );
    assert.deepEqual(await jwksKids(), [next.kid, current.kid]);

    clock.advance(Date.parse(retired.expires_at) - clock.now());
    assert.deepEqual(await jwksKids(), [next.kid], 'gone once nothing it signed can be valid');
  });

  it('with {"now": true} signs with the new key at once (emergency), the old one retired but published', async () => {
    const before = (await listKeys()).find((k) => k.state === 'active');
    assert.ok(before);
    const response = await server.admin('POST', '/keys/rotate', { now: true });
    assert.equal(response.statusCode, 201, response.body);
    const key: KeyView = response.json();
    assert.equal(key.state, 'active');
    assert.equal(key.activates_at, key.created_at);
    assert.equal(await signingKid(), key.kid);
    const states = Object.fromEntries((await listKeys()).map((k) => [k.kid, k.state]));
    assert.equal(states[key.kid], 'active');
    assert.equal(states[before.kid], 'retired');
    assert.ok((await jwksKids()).includes(before.kid));
  });

  it('with {"now": false} pre-publishes, as with no option', async () => {
    const response = await server.admin('POST', '/keys/rotate', { now: false });
    assert.equal(response.statusCode, 201, response.body);
    assert.equal(response.json().state, 'next');
    clock.advance(Date.parse(response.json().activates_at) - clock.now());
    assert.equal(await signingKid(), response.json().kid);
  });

  it('refuses an unknown field or a non-boolean now, and adds no key', async () => {
    for (const [body, message] of [
      [{ now: 'yes' }, /body\.now must be boolean/],
      [{ immediately: true }, /body has an unknown field 'immediately'/],
      ['[true]', /body must be object/],
    ] as const) {
      await expectRefusedWithoutChange(
        server,
        () => server.admin('POST', '/keys/rotate', body),
        400,
        'invalid_request',
        message,
      );
    }
  });

  it('accepts a request with no body (pre-publication)', async () => {
    const response = await server.admin('POST', '/keys/rotate');
    assert.equal(response.statusCode, 201, response.body);
    assert.equal(response.json().state, 'next');
  });
});
