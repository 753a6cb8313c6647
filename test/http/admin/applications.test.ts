import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import {
  type AdminTestServer,
  expectAdminError,
  expectRefusedWithoutChange,
  startAdminServer,
} from '../../helpers/admin-server.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import type { ClientCredentials } from '../../helpers/test-server.js';

const APPLICATION_FIELDS = [
  'api_token_ttl',
  'client_id',
  'created_at',
  'customer_token_ttl',
  'dpop_bound_access_tokens',
  'jwks',
  'jwks_uri',
  'name',
  'resource_server',
  'status',
  'tls_client_auth_san_dns',
  'tls_client_auth_san_email',
  'tls_client_auth_san_ip',
  'tls_client_auth_san_uri',
  'tls_client_auth_subject_dn',
  'tls_client_certificate_bound_access_tokens',
  'token_classes',
  'token_endpoint_auth_method',
  'updated_at',
];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

let server: AdminTestServer;

before(async () => {
  server = await startAdminServer();
});
after(() => server.close());

function expectApplication(body: Record<string, unknown>): void {
  assert.deepEqual(Object.keys(body).sort(), APPLICATION_FIELDS);
  assert.match(String(body.client_id), UUID);
  assert.match(String(body.created_at), ISO_TIME);
  assert.match(String(body.updated_at), ISO_TIME);
}

function expectToken(response: LightMyRequestResponse, expiresIn?: number): void {
  assert.equal(response.statusCode, 200, response.body);
  if (expiresIn !== undefined) assert.equal(response.json().expires_in, expiresIn);
}

function expectInvalidClient(response: LightMyRequestResponse, description: RegExp): void {
  assert.equal(response.statusCode, 401, response.body);
  assert.equal(response.json().error, 'invalid_client');
  assert.match(response.json().error_description, description);
}

describe('POST /admin/v1/applications', () => {
  it('registers an application: 201 with the application and its client_secret, server defaults', async () => {
    const response = await server.admin('POST', '/applications', { name: 'Shop backend' });
    assert.equal(response.statusCode, 201, response.body);
    assert.match(String(response.headers['content-type']), /^application\/json/);
    assert.equal(response.headers['cache-control'], 'no-store');
    const { client_secret: secret, ...application } = response.json();
    expectApplication(application);
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/, 'a 256-bit base64url secret');
    assert.equal(application.name, 'Shop backend');
    assert.equal(application.status, 'active');
    assert.deepEqual(application.token_classes, ['api', 'customer']);
    assert.equal(application.api_token_ttl, null);
    assert.equal(application.customer_token_ttl, null);
    assert.equal(application.resource_server, false);
    assert.equal(application.created_at, application.updated_at);
    expectToken(await server.requestToken({ clientId: application.client_id, clientSecret: secret }), 3600);
  });

  it('takes every setting at creation', async () => {
    const response = await server.admin('POST', '/applications', {
      name: 'Reporting',
      token_classes: ['api'],
      api_token_ttl: 600,
      customer_token_ttl: 900,
      resource_server: true,
    });
    assert.equal(response.statusCode, 201, response.body);
    const body = response.json();
    assert.deepEqual(body.token_classes, ['api']);
    assert.equal(body.api_token_ttl, 600);
    assert.equal(body.customer_token_ttl, 900);
    assert.equal(body.resource_server, true);
    expectToken(
      await server.requestToken({ clientId: body.client_id, clientSecret: body.client_secret }),
      600,
    );
  });

  it('shows the client_secret only once: never when reading, listing or changing the application', async () => {
    const client = await server.createApplication();
    const reads = [
      await server.admin('GET', `/applications/${client.clientId}`),
      await server.admin('GET', '/applications?limit=1000'),
      await server.admin('PATCH', `/applications/${client.clientId}`, { name: 'renamed' }),
      await server.admin('POST', `/applications/${client.clientId}/disable`),
      await server.admin('POST', `/applications/${client.clientId}/enable`),
      await server.admin('GET', '/audit?limit=1000'),
    ];
    for (const read of reads) {
      assert.equal(read.statusCode, 200, read.body);
      assert.ok(!read.body.includes(client.clientSecret), read.body);
      assert.ok(!read.body.includes('client_secret'), read.body);
    }
  });

  it('refuses a customer_token_ttl of 599 naming the LinkSDK rule, and registers nothing', async () => {
    await expectRefusedWithoutChange(
      server,
      () => server.admin('POST', '/applications', { name: 'short', customer_token_ttl: 599 }),
      400,
      'invalid_request',
      /customer token lifetime .*600.*got 599.*LinkSDK/,
    );
  });
});

describe('GET /admin/v1/applications', () => {
  it('lists applications by client_id, 100 at a time by default', async () => {
    await server.createApplication({ name: 'listed' });
    const response = await server.admin('GET', '/applications');
    assert.equal(response.statusCode, 200, response.body);
    const body = response.json();
    assert.deepEqual(Object.keys(body).sort(), ['items', 'next_after']);
    assert.ok(body.items.length >= 1);
    for (const item of body.items) expectApplication(item);
    const ids = body.items.map((a: { client_id: string }) => a.client_id);
    assert.deepEqual(ids, [...ids].sort());
    assert.equal(body.next_after, null, 'fewer than 100: the last page');
  });

  it('pages with limit and after; next_after is the last id of a full page and null at the end', async () => {
    for (let i = 0; i < 5; i++) await server.createApplication({ name: `paged ${i}` });
    const all = (await server.admin('GET', '/applications?limit=1000')).json().items;
    assert.ok(all.length >= 6);
    const seen: unknown[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor === null ? '?limit=2' : `?limit=2&after=${cursor}`;
      const response = await server.admin('GET', `/applications${query}`);
      assert.equal(response.statusCode, 200, response.body);
      const page = response.json();
      assert.ok(page.items.length <= 2);
      if (page.items.length === 2) assert.equal(page.next_after, page.items[1].client_id);
      else assert.equal(page.next_after, null);
      seen.push(...page.items);
      cursor = page.next_after;
      pages++;
    } while (cursor !== null && pages < 100);
    assert.deepEqual(seen, all);
    assert.ok(pages >= 3);
  });

  it('answers an after past the last id with an empty last page', async () => {
    const response = await server.admin('GET', '/applications?after=ffffffff-ffff-4fff-bfff-ffffffffffff');
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json(), { items: [], next_after: null });
  });

  it('refuses a limit out of 1..1000 or not a whole number', async () => {
    for (const [limit, message] of [
      ['0', /limit must be >= 1/],
      ['1001', /limit must be <= 1000/],
      ['-5', /limit must be >= 1/],
      ['1.5', /limit must be integer/],
      ['ten', /limit must be integer/],
    ] as const) {
      expectAdminError(
        await server.admin('GET', `/applications?limit=${limit}`),
        400,
        'invalid_request',
        message,
      );
    }
  });
});

describe('GET /admin/v1/applications/:client_id', () => {
  it('answers one application as it was registered', async () => {
    const created = (await server.admin('POST', '/applications', { name: 'one' })).json();
    const response = await server.admin('GET', `/applications/${created.client_id}`);
    assert.equal(response.statusCode, 200, response.body);
    const { client_secret: _secret, ...expected } = created;
    assert.deepEqual(response.json(), expected);
  });

  it('answers 404 for an unknown or a non-UUID client_id', async () => {
    for (const id of [UNKNOWN_ID, 'not-a-uuid', UNKNOWN_ID.toUpperCase()]) {
      expectAdminError(
        await server.admin('GET', `/applications/${id}`),
        404,
        'not_found',
        new RegExp(`no application has client_id '${id}'`),
      );
    }
  });
});

describe('PATCH /admin/v1/applications/:client_id', () => {
  let client: ClientCredentials;
  before(async () => {
    client = await server.createApplication({ name: 'to change' });
  });

  it('renames it: the new name, a later updated_at, the same created_at', async () => {
    const before = (await server.admin('GET', `/applications/${client.clientId}`)).json();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const response = await server.admin('PATCH', `/applications/${client.clientId}`, { name: 'Renamed' });
    assert.equal(response.statusCode, 200, response.body);
    const body = response.json();
    expectApplication(body);
    assert.equal(body.name, 'Renamed');
    assert.equal(body.created_at, before.created_at);
    assert.ok(body.updated_at > before.updated_at);
    assert.deepEqual((await server.admin('GET', `/applications/${client.clientId}`)).json(), body);
  });

  it('changes token_classes, and the token endpoint follows at once', async () => {
    const customer = (
      await server.admin('POST', `/applications/${client.clientId}/customers`, { app_user_id: 'patch-user' })
    ).json();
    expectToken(await server.requestToken(client, `customer.${customer.customer_id}`));

    const response = await server.admin('PATCH', `/applications/${client.clientId}`, {
      token_classes: ['api'],
    });
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json().token_classes, ['api']);
    const refused = await server.requestToken(client, `customer.${customer.customer_id}`);
    assert.equal(refused.statusCode, 400, refused.body);
    assert.equal(refused.json().error, 'invalid_scope');
    expectToken(await server.requestToken(client, 'api'));

    const back = await server.admin('PATCH', `/applications/${client.clientId}`, {
      token_classes: ['customer', 'api'],
    });
    assert.deepEqual(back.json().token_classes, ['api', 'customer'], 'kept in canonical order');
    expectToken(await server.requestToken(client, `customer.${customer.customer_id}`));
  });

  it('changes the lifetimes (null returns to the server default), and issued tokens follow', async () => {
    const response = await server.admin('PATCH', `/applications/${client.clientId}`, {
      api_token_ttl: 120,
      customer_token_ttl: 600,
    });
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.json().api_token_ttl, 120);
    assert.equal(response.json().customer_token_ttl, 600);
    expectToken(await server.requestToken(client, 'api'), 120);

    const reset = await server.admin('PATCH', `/applications/${client.clientId}`, { api_token_ttl: null });
    assert.equal(reset.json().api_token_ttl, null);
    assert.equal(reset.json().customer_token_ttl, 600, 'a field not sent is left as it was');
    expectToken(await server.requestToken(client, 'api'), 3600);
  });

  it('sets resource_server: the application may then introspect other applications’ tokens', async () => {
    const other = await server.createApplication({ name: 'other' });
    const token = (await server.requestToken(other)).json().access_token;
    const introspect = () =>
      server.app.inject({
        method: 'POST',
        url: '/oauth2/introspect',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({
          token,
          client_id: client.clientId,
          client_secret: client.clientSecret,
        }).toString(),
      });
    assert.deepEqual((await introspect()).json(), { active: false });

    const response = await server.admin('PATCH', `/applications/${client.clientId}`, {
      resource_server: true,
    });
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.json().resource_server, true);
    const answer = (await introspect()).json();
    assert.equal(answer.active, true);
    assert.equal(answer.client_id, other.clientId);
  });

  it('refuses a customer_token_ttl of 599 naming the LinkSDK rule, and changes nothing', async () => {
    await expectRefusedWithoutChange(
      server,
      () => server.admin('PATCH', `/applications/${client.clientId}`, { customer_token_ttl: 599 }),
      400,
      'invalid_request',
      /customer token lifetime must be a whole number of seconds from 600 to 86400, got 599 \(the LinkSDK refuses a customer token with less than 600 seconds of validity left\)/,
    );
  });

  it('refuses lifetimes out of range, bad token classes, a blank name, and an empty change', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ api_token_ttl: 59 }, /api token lifetime .* from 60 to 86400, got 59/],
      [{ api_token_ttl: 86_401 }, /api token lifetime .* got 86401/],
      [{ customer_token_ttl: 86_401 }, /customer token lifetime .* got 86401/],
      [{ api_token_ttl: 600.5 }, /body\.api_token_ttl must be integer/],
      [{ token_classes: [] }, /body\.token_classes must NOT have fewer than 1 items/],
      [{ token_classes: ['admin'] }, /body\.token_classes\.0 must be equal to one of the allowed values/],
      [{ token_classes: ['api', 'api'] }, /body\.token_classes must NOT have duplicate items/],
      [{ name: '   ' }, /name must be 1 to 200 characters/],
      [{ name: 'x'.repeat(201) }, /body\.name must NOT have more than 200 characters/],
      [{}, /body must NOT have fewer than 1 properties/],
    ];
    for (const [patch, message] of cases) {
      await expectRefusedWithoutChange(
        server,
        () => server.admin('PATCH', `/applications/${client.clientId}`, patch),
        400,
        'invalid_request',
        message,
      );
    }
  });

  it('answers 404 for an unknown or non-UUID client_id, and changes nothing', async () => {
    for (const id of [UNKNOWN_ID, 'nope']) {
      await expectRefusedWithoutChange(
        server,
        () => server.admin('PATCH', `/applications/${id}`, { name: 'x' }),
        404,
        'not_found',
        /no application has client_id/,
      );
    }
  });
});

describe('POST /admin/v1/applications/:client_id/disable and /enable', () => {
  it('disable stops token issuance at once, and its tokens are inactive; enable resumes it', async () => {
    const client = await server.createApplication();
    const issued = await server.requestToken(client);
    expectToken(issued);
    const resourceServer = await server.createApplication({ name: 'resource server', resource_server: true });
    const introspect = async () =>
      (
        await server.app.inject({
          method: 'POST',
          url: '/oauth2/introspect',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams({
            token: issued.json().access_token,
            client_id: resourceServer.clientId,
            client_secret: resourceServer.clientSecret,
          }).toString(),
        })
      ).json();
    assert.equal((await introspect()).active, true);

    const disabled = await server.admin('POST', `/applications/${client.clientId}/disable`);
    assert.equal(disabled.statusCode, 200, disabled.body);
    expectApplication(disabled.json());
    assert.equal(disabled.json().status, 'disabled');
    expectInvalidClient(await server.requestToken(client), /the application is disabled/);
    expectInvalidClient(
      await server.requestToken(client, 'api', 'client_secret_basic'),
      /the application is disabled/,
    );
    assert.equal((await server.admin('GET', `/applications/${client.clientId}`)).json().status, 'disabled');
    assert.deepEqual(await introspect(), { active: false }, 'outstanding tokens are inactive');

    const again = await server.admin('POST', `/applications/${client.clientId}/disable`);
    assert.equal(again.statusCode, 200, 'disabling twice is harmless');

    const enabled = await server.admin('POST', `/applications/${client.clientId}/enable`);
    assert.equal(enabled.statusCode, 200, enabled.body);
    assert.equal(enabled.json().status, 'active');
    expectToken(await server.requestToken(client));
  });

  it('answers 404 for an unknown or non-UUID client_id, and changes nothing', async () => {
    for (const action of ['disable', 'enable']) {
      for (const id of [UNKNOWN_ID, 'abc']) {
        await expectRefusedWithoutChange(
          server,
          () => server.admin('POST', `/applications/${id}/${action}`),
          404,
          'not_found',
          /no application has client_id/,
        );
      }
    }
  });
});

describe('POST /admin/v1/applications/:client_id/rotate-secret', () => {
  it('returns a new secret once; with grace_seconds both secrets work until the deadline', async () => {
    const client = await server.createApplication();
    const started = Date.now();
    const response = await server.admin('POST', `/applications/${client.clientId}/rotate-secret`, {
      grace_seconds: 3600,
    });
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.headers['cache-control'], 'no-store');
    const body = response.json();
    assert.deepEqual(Object.keys(body).sort(), ['client_id', 'client_secret', 'previous_secret_expires_at']);
    assert.equal(body.client_id, client.clientId);
    assert.match(body.client_secret, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(body.client_secret, client.clientSecret);
    const deadline = Date.parse(body.previous_secret_expires_at);
    assert.ok(
      deadline >= started + 3600_000 && deadline <= Date.now() + 3600_000,
      body.previous_secret_expires_at,
    );

    expectToken(await server.requestToken(client), undefined);
    expectToken(await server.requestToken({ clientId: client.clientId, clientSecret: body.client_secret }));
    expectToken(
      await server.requestToken(
        { clientId: client.clientId, clientSecret: body.client_secret },
        'api',
        'client_secret_basic',
      ),
    );
    assert.ok(
      !(await server.admin('GET', `/applications/${client.clientId}`)).body.includes(body.client_secret),
    );
  });

  it('never keeps a third secret live: rotating again ends the oldest at once', async () => {
    const first = await server.createApplication();
    const second = (
      await server.admin('POST', `/applications/${first.clientId}/rotate-secret`, { grace_seconds: 3600 })
    ).json().client_secret;
    const third = (
      await server.admin('POST', `/applications/${first.clientId}/rotate-secret`, { grace_seconds: 3600 })
    ).json().client_secret;
    expectInvalidClient(await server.requestToken(first), /unknown client_id or wrong client_secret/);
    expectToken(await server.requestToken({ clientId: first.clientId, clientSecret: second }));
    expectToken(await server.requestToken({ clientId: first.clientId, clientSecret: third }));
  });

  it('with grace_seconds 0 the old secret stops at once', async () => {
    const client = await server.createApplication();
    const response = await server.admin('POST', `/applications/${client.clientId}/rotate-secret`, {
      grace_seconds: 0,
    });
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.json().previous_secret_expires_at, null);
    expectInvalidClient(await server.requestToken(client), /unknown client_id or wrong client_secret/);
    expectToken(
      await server.requestToken({ clientId: client.clientId, clientSecret: response.json().client_secret }),
    );
  });

  it('refuses a grace_seconds that is negative, over a week or not a whole number, and changes nothing', async () => {
    const client = await server.createApplication();
    for (const [grace, message] of [
      [-1, /grace_seconds must be >= 0/],
      [604_801, /grace_seconds must be <= 604800/],
      [1.5, /grace_seconds must be integer/],
      ['60', /grace_seconds must be integer/],
    ] as const) {
      await expectRefusedWithoutChange(
        server,
        () =>
          server.admin('POST', `/applications/${client.clientId}/rotate-secret`, { grace_seconds: grace }),
        400,
        'invalid_request',
        message,
      );
    }
    expectToken(await server.requestToken(client));
  });

  it('answers 404 for an unknown or non-UUID client_id, and changes nothing', async () => {
    for (const id of [UNKNOWN_ID, 'abc']) {
      await expectRefusedWithoutChange(
        server,
        () => server.admin('POST', `/applications/${id}/rotate-secret`, { grace_seconds: 0 }),
        404,
        'not_found',
        /no application has client_id/,
      );
    }
  });

  it('accepts a request with no body (the default grace)', async () => {
    const client = await server.createApplication();
    const response = await server.admin('POST', `/applications/${client.clientId}/rotate-secret`);
    assert.equal(response.statusCode, 200, response.body);
  });
});

describe('rotate-secret across the grace deadline (controllable clock)', () => {
  const clock = new FakeClock();
  let timed: AdminTestServer;
  before(async () => {
    timed = await startAdminServer({ clock, env: { SECRET_ROTATION_GRACE: '120' } });
  });
  after(() => timed.close());

  it('keeps the old secret working until grace_seconds have passed, not a moment longer', async () => {
    const client = await timed.createApplication();
    const rotatedAt = clock.now();
    const response = await timed.admin('POST', `/applications/${client.clientId}/rotate-secret`, {
      grace_seconds: 60,
    });
    const fresh = { clientId: client.clientId, clientSecret: response.json().client_secret };
    assert.equal(response.json().previous_secret_expires_at, new Date(rotatedAt + 60_000).toISOString());

    clock.advance(59_999);
    expectToken(await timed.requestToken(client));
    expectToken(await timed.requestToken(fresh));
    clock.advance(1);
    expectInvalidClient(await timed.requestToken(client), /unknown client_id or wrong client_secret/);
    expectToken(await timed.requestToken(fresh));
  });

  it('without grace_seconds, uses SECRET_ROTATION_GRACE', async () => {
    const client = await timed.createApplication();
    const rotatedAt = clock.now();
    const response = await timed.admin('POST', `/applications/${client.clientId}/rotate-secret`, {});
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.json().previous_secret_expires_at, new Date(rotatedAt + 120_000).toISOString());
    clock.advance(119_000);
    expectToken(await timed.requestToken(client));
    clock.advance(1_000);
    expectInvalidClient(await timed.requestToken(client), /unknown client_id or wrong client_secret/);
  });
});
