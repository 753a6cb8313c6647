import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import {
  type AdminTestServer,
  expectRefusedWithoutChange,
  startAdminServer,
} from '../../helpers/admin-server.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { type ClientCredentials, FORM_HEADERS, form } from '../../helpers/test-server.js';

const clock = new FakeClock();
let server: AdminTestServer;
let client: ClientCredentials;

before(async () => {
  server = await startAdminServer({ clock });
  client = await server.createApplication();
});
after(() => server.close());

async function token(): Promise<string> {
  const response = await server.requestToken(client);
  assert.equal(response.statusCode, 200, response.body);
  return String(response.json().access_token);
}

const kidOf = (accessToken: string) => String(decodeProtectedHeader(accessToken).kid);

async function isActive(accessToken: string): Promise<boolean> {
  const response = await server.app.inject({
    method: 'POST',
    url: '/oauth2/introspect',
    headers: FORM_HEADERS,
    payload: form({ token: accessToken, client_id: client.clientId, client_secret: client.clientSecret }),
  });
  assert.equal(response.statusCode, 200, response.body);
  return response.json().active;
}

async function jwksKids(): Promise<string[]> {
  const response = await server.app.inject('/.well-known/jwks.json');
  return response.json().keys.map((k: { kid: string }) => k.kid);
}

describe('POST /admin/v1/keys/{kid}/withdraw', () => {
  it('the active key: gone from the JWKS at once, its tokens inactive, a new key signs at once', async () => {
    const before = await token();
    const compromised = kidOf(before);
    assert.equal(await isActive(before), true);

    clock.advance(1_000);
    const response = await server.admin('POST', `/keys/${compromised}/withdraw`);
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.headers['cache-control'], 'no-store');
    const body = response.json();
    assert.deepEqual(Object.keys(body).sort(), ['kid', 'replacement', 'state']);
    assert.equal(body.kid, compromised);
    assert.equal(body.state, 'active');
    assert.equal(body.replacement.state, 'active');
    assert.equal(body.replacement.activates_at, new Date(clock.now()).toISOString());
    assert.equal(body.replacement.expires_at, null);

    assert.deepEqual(await jwksKids(), [body.replacement.kid]);
    assert.equal(await isActive(before), false, 'a token of the withdrawn key is still active');
    // Issuance never stopped: the next token is signed by the new key, and is active.
    const afterwards = await token();
    assert.equal(kidOf(afterwards), body.replacement.kid);
    assert.equal(await isActive(afterwards), true);

    const audit = (await server.admin('GET', `/audit?target_id=${compromised}&action=key.withdraw`)).json();
    assert.deepEqual(
      audit.items.map((e: { actor: string; detail: unknown }) => [e.actor, e.detail]),
      [['admin-api', { state: 'active', replaced_by: body.replacement.kid }]],
    );
  });

  it('a retired key: no replacement, the active key goes on', async () => {
    const oldToken = await token();
    const old = kidOf(oldToken);
    const rotated = await server.admin('POST', '/keys/rotate', { now: true });
    assert.equal(rotated.statusCode, 201, rotated.body);
    assert.equal(await isActive(oldToken), true);

    const response = await server.admin('POST', `/keys/${old}/withdraw`);
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json(), { kid: old, state: 'retired', replacement: null });
    assert.deepEqual(await jwksKids(), [rotated.json().kid]);
    assert.equal(await isActive(oldToken), false);
    assert.equal(kidOf(await token()), rotated.json().kid);
  });

  it('an unknown or withdrawn kid is 404, and changes nothing', async () => {
    const active = kidOf(await token());
    const withdrawn = (await server.admin('POST', `/keys/${active}/withdraw`)).json();
    for (const kid of [active, 'no-such-kid', `${withdrawn.replacement.kid}x`]) {
      await expectRefusedWithoutChange(
        server,
        () => server.admin('POST', `/keys/${kid}/withdraw`),
        404,
        'not_found',
        /no published signing key has kid/,
      );
    }
    await expectRefusedWithoutChange(
      server,
      () => server.admin('POST', `/keys/${'k'.repeat(81)}/withdraw`),
      400,
      'invalid_request',
      /params\.kid must NOT have more than 80 characters/,
    );
  });

  it('needs the admin token', async () => {
    const kid = kidOf(await token());
    await expectRefusedWithoutChange(
      server,
      () => server.admin('POST', `/keys/${kid}/withdraw`, undefined, 'wrong'),
      401,
      'unauthorized',
      /./,
    );
    assert.ok((await jwksKids()).includes(kid));
  });
});
