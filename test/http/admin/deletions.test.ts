import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import {
  type AdminTestServer,
  expectAdminError,
  expectRefusedWithoutChange,
  startAdminServer,
} from '../../helpers/admin-server.js';
import { type ClientCredentials, FORM_HEADERS, form } from '../../helpers/test-server.js';

let server: AdminTestServer;
/** May introspect every application's tokens: it watches the deleted ones' tokens go inactive. */
let resourceServer: ClientCredentials;

before(async () => {
  server = await startAdminServer();
  resourceServer = await server.createApplication({ name: 'resource server', resource_server: true });
});
after(() => server.close());

async function token(client: ClientCredentials, scope = 'api'): Promise<string> {
  const response = await server.requestToken(client, scope);
  assert.equal(response.statusCode, 200, response.body);
  return String(response.json().access_token);
}

async function isActive(accessToken: string): Promise<boolean> {
  const response = await server.app.inject({
    method: 'POST',
    url: '/oauth2/introspect',
    headers: FORM_HEADERS,
    payload: form({
      token: accessToken,
      client_id: resourceServer.clientId,
      client_secret: resourceServer.clientSecret,
    }),
  });
  assert.equal(response.statusCode, 200, response.body);
  return response.json().active;
}

async function createCustomer(clientId: string, appUserId: string): Promise<string> {
  const response = await server.admin('POST', `/applications/${clientId}/customers`, {
    app_user_id: appUserId,
  });
  assert.equal(response.statusCode, 201, response.body);
  return String(response.json().customer_id);
}

async function auditOf(targetId: string) {
  const response = await server.admin('GET', `/audit?target_id=${targetId}`);
  assert.equal(response.statusCode, 200, response.body);
  return response.json().items as { actor: string; action: string; detail: Record<string, unknown> }[];
}

function expectJson(response: LightMyRequestResponse, body: unknown): void {
  assert.equal(response.statusCode, 200, response.body);
  assert.equal(response.headers['cache-control'], 'no-store');
  assert.deepEqual(response.json(), body);
}

describe('DELETE /admin/v1/applications/{client_id}', () => {
  it('deletes it with its customers; their tokens stop introspecting as active at once', async () => {
    const app = await server.createApplication({ name: 'Acme payroll' });
    const customerId = await createCustomer(app.clientId, 'jane@example.com');
    const apiToken = await token(app);
    const customerToken = await token(app, `customer.${customerId}`);
    assert.equal(await isActive(apiToken), true);
    assert.equal(await isActive(customerToken), true);

    expectJson(await server.admin('DELETE', `/applications/${app.clientId}`), {
      client_id: app.clientId,
      customers_deleted: 1,
    });
    assert.equal(await isActive(apiToken), false);
    assert.equal(await isActive(customerToken), false);
    // Gone everywhere: no token, no record, no customer.
    assert.equal((await server.requestToken(app)).statusCode, 401);
    expectAdminError(
      await server.admin('GET', `/applications/${app.clientId}`),
      404,
      'not_found',
      /no application/,
    );
    expectAdminError(await server.admin('GET', `/customers/${customerId}`), 404, 'not_found', /no customer/);
    expectAdminError(
      await server.admin('POST', `/applications/${app.clientId}/customers`, { app_user_id: 'again' }),
      404,
      'not_found',
      /no application/,
    );
  });

  it('the audit log says who deleted what and when, and keeps none of the deleted data', async () => {
    const app = await server.createApplication({ name: 'Secret project name' });
    const customerId = await createCustomer(app.clientId, 'jane.doe@example.com');
    await server.admin('DELETE', `/applications/${app.clientId}`);
    const [deleted, ...earlier] = await auditOf(app.clientId);
    assert.deepEqual(
      { actor: deleted?.actor, action: deleted?.action, detail: deleted?.detail },
      { actor: 'admin-api', action: 'application.delete', detail: { customers_deleted: 1 } },
    );
    assert.deepEqual(
      earlier.map((e) => [e.action, e.detail]),
      [['application.create', { erased: true }]],
    );
    assert.deepEqual(
      (await auditOf(customerId)).map((e) => [e.action, e.detail]),
      [['customer.create', { erased: true }]],
    );
    const log = (await server.admin('GET', '/audit?limit=1000')).body;
    assert.ok(!log.includes('Secret project name'));
    assert.ok(!log.includes('jane.doe@example.com'));
  });

  it('an unknown, malformed or deleted client_id is 404 naming it, and changes nothing', async () => {
    const app = await server.createApplication();
    await server.admin('DELETE', `/applications/${app.clientId}`);
    const cases: [string, RegExp][] = [
      [randomUUID(), /^no application has client_id '[0-9a-f-]{36}'$/],
      ['not-a-uuid', /^no application has client_id 'not-a-uuid'$/],
      [app.clientId, /: it was deleted$/],
    ];
    for (const [id, message] of cases) {
      await expectRefusedWithoutChange(
        server,
        () => server.admin('DELETE', `/applications/${id}`),
        404,
        'not_found',
        message,
      );
    }
    await expectRefusedWithoutChange(
      server,
      () => server.admin('DELETE', `/applications/${'a'.repeat(81)}`),
      400,
      'invalid_request',
      /params\.client_id must NOT have more than 80 characters/,
    );
  });

  it('needs the admin token', async () => {
    const app = await server.createApplication();
    await expectRefusedWithoutChange(
      server,
      () => server.admin('DELETE', `/applications/${app.clientId}`, undefined, null),
      401,
      'unauthorized',
      /./,
    );
    assert.equal((await server.requestToken(app)).statusCode, 200);
  });
});

describe('DELETE /admin/v1/customers/{customer_id}', () => {
  it('deletes one customer: its tokens go inactive, the application’s and other customers’ do not', async () => {
    const app = await server.createApplication();
    const gone = await createCustomer(app.clientId, 'jane@example.com');
    const kept = await createCustomer(app.clientId, 'joe@example.com');
    const goneToken = await token(app, `customer.${gone}`);
    const keptToken = await token(app, `customer.${kept}`);
    const apiToken = await token(app);

    expectJson(await server.admin('DELETE', `/customers/${gone}`), {
      customer_id: gone,
      client_id: app.clientId,
    });
    assert.equal(await isActive(goneToken), false);
    assert.equal(await isActive(keptToken), true);
    assert.equal(await isActive(apiToken), true);
    // No new token names it.
    const refused = await server.requestToken(app, `customer.${gone}`);
    assert.equal(refused.statusCode, 400, refused.body);
    assert.equal(refused.json().error, 'invalid_scope');

    const [deleted, ...earlier] = await auditOf(gone);
    assert.deepEqual(
      { actor: deleted?.actor, action: deleted?.action, detail: deleted?.detail },
      { actor: 'admin-api', action: 'customer.delete', detail: { client_id: app.clientId } },
    );
    assert.deepEqual(
      earlier.map((e) => e.detail),
      [{ erased: true }],
    );
    // The end user may be registered again, as a new customer with a new id.
    const again = await createCustomer(app.clientId, 'jane@example.com');
    assert.notEqual(again, gone);
  });

  it('an unknown, malformed or deleted customer_id is 404, and changes nothing', async () => {
    const app = await server.createApplication();
    const id = await createCustomer(app.clientId, 'u');
    await server.admin('DELETE', `/customers/${id}`);
    for (const [candidate, message] of [
      [randomUUID(), /^no customer has customer_id/],
      ['undefined', /^no customer has customer_id 'undefined'$/],
      [id, /: it was deleted$/],
    ] as const) {
      await expectRefusedWithoutChange(
        server,
        () => server.admin('DELETE', `/customers/${candidate}`),
        404,
        'not_found',
        message,
      );
    }
  });
});
