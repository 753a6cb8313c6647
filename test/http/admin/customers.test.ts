import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import {
  type AdminTestServer,
  expectAdminError,
  expectRefusedWithoutChange,
  startAdminServer,
} from '../../helpers/admin-server.js';
import type { ClientCredentials } from '../../helpers/test-server.js';

const CUSTOMER_FIELDS = ['app_user_id', 'client_id', 'created_at', 'customer_id', 'status'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

let server: AdminTestServer;
let client: ClientCredentials;

before(async () => {
  server = await startAdminServer();
  client = await server.createApplication({ name: 'with customers' });
});
after(() => server.close());

function createCustomer(appUserId: string, clientId = client.clientId): Promise<LightMyRequestResponse> {
  return server.admin('POST', `/applications/${clientId}/customers`, { app_user_id: appUserId });
}

function expectCustomerToken(response: LightMyRequestResponse, customerId: string): void {
  assert.equal(response.statusCode, 200, response.body);
  assert.equal(response.json().scope, `customer.${customerId}`);
}

function expectInvalidScope(response: LightMyRequestResponse): void {
  assert.equal(response.statusCode, 400, response.body);
  assert.equal(response.json().error, 'invalid_scope');
}

describe('POST /admin/v1/applications/:client_id/customers', () => {
  it('registers a customer: 201 with its customer_id, and a customer token can be issued for it', async () => {
    const response = await createCustomer('user-1');
    assert.equal(response.statusCode, 201, response.body);
    assert.equal(response.headers['cache-control'], 'no-store');
    const body = response.json();
    assert.deepEqual(Object.keys(body).sort(), CUSTOMER_FIELDS);
    assert.match(body.customer_id, UUID);
    assert.equal(body.client_id, client.clientId);
    assert.equal(body.app_user_id, 'user-1');
    assert.equal(body.status, 'active');
    assert.ok(!Number.isNaN(Date.parse(body.created_at)));
    expectCustomerToken(await server.requestToken(client, `customer.${body.customer_id}`), body.customer_id);
  });

  it('refuses a duplicate app_user_id within the application with 409, and registers nothing', async () => {
    assert.equal((await createCustomer('dup-user')).statusCode, 201);
    await expectRefusedWithoutChange(
      server,
      () => createCustomer('dup-user'),
      409,
      'conflict',
      new RegExp(`application '${client.clientId}' already has a customer with app_user_id 'dup-user'`),
    );
  });

  it('accepts the same app_user_id in another application', async () => {
    const other = await server.createApplication({ name: 'other' });
    assert.equal((await createCustomer('shared-user')).statusCode, 201);
    assert.equal((await createCustomer('shared-user', other.clientId)).statusCode, 201);
  });

  it('refuses a missing, empty, too long, padded or non-string app_user_id, and registers nothing', async () => {
    const cases: [unknown, RegExp][] = [
      [{}, /body needs the field 'app_user_id'/],
      [{ app_user_id: '' }, /body\.app_user_id must NOT have fewer than 1 characters/],
      [{ app_user_id: 'x'.repeat(256) }, /body\.app_user_id must NOT have more than 255 characters/],
      [{ app_user_id: ' padded ' }, /app_user_id must be 1 to 255 characters with no surrounding spaces/],
      [{ app_user_id: 42 }, /body\.app_user_id must be string/],
      [{ app_user_id: 'u', customer_id: UNKNOWN_ID }, /body has an unknown field 'customer_id'/],
    ];
    for (const [body, message] of cases) {
      await expectRefusedWithoutChange(
        server,
        () => server.admin('POST', `/applications/${client.clientId}/customers`, body),
        400,
        'invalid_request',
        message,
      );
    }
  });

  it('answers 404 for an unknown or non-UUID client_id, and registers nothing', async () => {
    for (const id of [UNKNOWN_ID, 'not-an-id']) {
      await expectRefusedWithoutChange(
        server,
        () => createCustomer('someone', id),
        404,
        'not_found',
        new RegExp(`no application has client_id '${id}'`),
      );
    }
  });
});

describe('GET /admin/v1/applications/:client_id/customers', () => {
  let own: ClientCredentials;
  const created: string[] = [];
  before(async () => {
    own = await server.createApplication({ name: 'listed customers' });
    for (let i = 0; i < 5; i++)
      created.push((await createCustomer(`listed-${i}`, own.clientId)).json().customer_id);
    await createCustomer('elsewhere');
  });

  it('lists the application’s customers (and only those), by customer_id', async () => {
    const response = await server.admin('GET', `/applications/${own.clientId}/customers`);
    assert.equal(response.statusCode, 200, response.body);
    const body = response.json();
    assert.deepEqual(Object.keys(body).sort(), ['items', 'next_after']);
    assert.equal(body.next_after, null);
    for (const item of body.items) {
      assert.deepEqual(Object.keys(item).sort(), CUSTOMER_FIELDS);
      assert.equal(item.client_id, own.clientId);
    }
    const ids = body.items.map((c: { customer_id: string }) => c.customer_id);
    assert.deepEqual(ids, [...created].sort());
  });

  it('pages with limit and after', async () => {
    const first = (await server.admin('GET', `/applications/${own.clientId}/customers?limit=2`)).json();
    assert.equal(first.items.length, 2);
    assert.equal(first.next_after, first.items[1].customer_id);
    const second = (
      await server.admin('GET', `/applications/${own.clientId}/customers?limit=2&after=${first.next_after}`)
    ).json();
    assert.equal(second.items.length, 2);
    const third = (
      await server.admin('GET', `/applications/${own.clientId}/customers?limit=2&after=${second.next_after}`)
    ).json();
    assert.equal(third.items.length, 1);
    assert.equal(third.next_after, null);
    const ids = [...first.items, ...second.items, ...third.items].map((c) => c.customer_id);
    assert.deepEqual(ids, [...created].sort());
  });

  it('refuses a limit out of range and answers 404 for an unknown application', async () => {
    expectAdminError(
      await server.admin('GET', `/applications/${own.clientId}/customers?limit=0`),
      400,
      'invalid_request',
      /querystring\.limit must be >= 1/,
    );
    expectAdminError(
      await server.admin('GET', `/applications/${own.clientId}/customers?limit=1001`),
      400,
      'invalid_request',
      /querystring\.limit must be <= 1000/,
    );
    expectAdminError(
      await server.admin('GET', `/applications/${UNKNOWN_ID}/customers`),
      404,
      'not_found',
      /no application has client_id/,
    );
  });
});

describe('GET /admin/v1/customers/:customer_id', () => {
  it('answers one customer', async () => {
    const created = (await createCustomer('read-me')).json();
    const response = await server.admin('GET', `/customers/${created.customer_id}`);
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json(), created);
  });

  it('answers 404 for an unknown or non-UUID customer_id', async () => {
    for (const id of [UNKNOWN_ID, 'user-1']) {
      expectAdminError(
        await server.admin('GET', `/customers/${id}`),
        404,
        'not_found',
        new RegExp(`no customer has customer_id '${id}'`),
      );
    }
  });
});

describe('POST /admin/v1/customers/:customer_id/disable and /enable', () => {
  it('disable stops customer tokens for that customer at once; enable resumes them', async () => {
    const customer = (await createCustomer('switched')).json();
    const other = (await createCustomer('untouched')).json();
    const scope = `customer.${customer.customer_id}`;
    expectCustomerToken(await server.requestToken(client, scope), customer.customer_id);

    const disabled = await server.admin('POST', `/customers/${customer.customer_id}/disable`);
    assert.equal(disabled.statusCode, 200, disabled.body);
    assert.deepEqual(disabled.json(), { ...customer, status: 'disabled' });
    expectInvalidScope(await server.requestToken(client, scope));
    expectCustomerToken(
      await server.requestToken(client, `customer.${other.customer_id}`),
      other.customer_id,
    );
    assert.equal((await server.requestToken(client, 'api')).statusCode, 200, 'api tokens are not affected');
    assert.equal((await server.admin('GET', `/customers/${customer.customer_id}`)).json().status, 'disabled');

    const enabled = await server.admin('POST', `/customers/${customer.customer_id}/enable`);
    assert.equal(enabled.statusCode, 200, enabled.body);
    assert.deepEqual(enabled.json(), customer);
    expectCustomerToken(await server.requestToken(client, scope), customer.customer_id);
  });

  it('answers 404 for an unknown or non-UUID customer_id, and changes nothing', async () => {
    for (const action of ['disable', 'enable']) {
      for (const id of [UNKNOWN_ID, 'user-1']) {
        await expectRefusedWithoutChange(
          server,
          () => server.admin('POST', `/customers/${id}/${action}`),
          404,
          'not_found',
          /no customer has customer_id/,
        );
      }
    }
  });
});
