import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Applications } from '../../src/domain/applications.js';
import { AuditTrail } from '../../src/domain/audit-trail.js';
import { type Change, ChangeFeed } from '../../src/domain/change-feed.js';
import { Customers } from '../../src/domain/customers.js';
import type { Store } from '../../src/domain/store.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { domainError } from '../helpers/domain.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { TEST_ACTOR, tempDir } from '../helpers/test-server.js';

describe('Customers', () => {
  let temp: ReturnType<typeof tempDir>;
  let store: Store;
  let clock: FakeClock;
  let changes: Change[];
  let applications: Applications;
  let customers: Customers;
  let clientId: string;

  beforeEach(async () => {
    temp = tempDir();
    store = openSqliteStore(join(temp.dir, 'customers.db'));
    await store.migrate();
    clock = new FakeClock();
    const feed = new ChangeFeed();
    const audit = new AuditTrail(clock);
    applications = new Applications(store, clock, feed, audit, 86_400);
    customers = new Customers(store, applications, clock, feed, audit);
    clientId = (await applications.create({ name: 'host app' }, TEST_ACTOR)).application.clientId;
    changes = [];
    feed.subscribe((change) => changes.push(change));
  });

  afterEach(async () => {
    await store.close();
    temp.remove();
  });

  describe('create', () => {
    it('registers an active customer under the application and publishes it', async () => {
      clock.advance(42);
      const customer = await customers.create(clientId, 'user-1', TEST_ACTOR);
      assert.match(
        customer.customerId,
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      assert.deepEqual(customer, {
        customerId: customer.customerId,
        clientId,
        appUserId: 'user-1',
        status: 'active',
        createdAt: clock.now(),
      });
      assert.deepEqual(await store.findCustomer(customer.customerId), customer);
      assert.deepEqual(await customers.get(customer.customerId), customer);
      assert.deepEqual(changes, [{ entity: 'customer', id: customer.customerId }]);
    });

    it('refuses an unknown or malformed application with not_found, storing nothing', async () => {
      const unknown = randomUUID();
      await domainError(
        customers.create(unknown, 'user-1', TEST_ACTOR),
        'not_found',
        /no application has client_id/,
      );
      await domainError(customers.create('not-a-uuid', 'user-1', TEST_ACTOR), 'not_found');
      assert.deepEqual(await store.listCustomers(unknown, { limit: 10 }), []);
      assert.deepEqual(changes, []);
    });

    it('refuses a second customer with the same app_user_id in one application as a conflict', async () => {
      const first = await customers.create(clientId, 'alice', TEST_ACTOR);
      changes.length = 0;
      const error = await domainError(
        customers.create(clientId, 'alice', TEST_ACTOR),
        'conflict',
        /app_user_id 'alice'/,
      );
      assert.match(error.message, new RegExp(clientId));
      assert.deepEqual(await customers.list(clientId), [first]);
      assert.deepEqual(changes, []);
    });

    it('accepts the same app_user_id in another application', async () => {
      const otherApp = (await applications.create({ name: 'other' }, TEST_ACTOR)).application.clientId;
      const a = await customers.create(clientId, 'alice', TEST_ACTOR);
      const b = await customers.create(otherApp, 'alice', TEST_ACTOR);
      assert.notEqual(a.customerId, b.customerId);
      assert.equal((await customers.get(b.customerId)).clientId, otherApp);
    });

    it('refuses an empty, over-long or space-padded app_user_id', async () => {
      for (const bad of ['', ' alice', 'alice ', 'x'.repeat(256)]) {
        await domainError(
          customers.create(clientId, bad, TEST_ACTOR),
          'invalid',
          /app_user_id must be 1 to 255 characters/,
        );
      }
      assert.equal((await customers.create(clientId, 'x'.repeat(255), TEST_ACTOR)).appUserId.length, 255);
      assert.equal((await customers.list(clientId)).length, 1);
    });
  });

  describe('get', () => {
    it('an unknown or malformed customer_id is not_found', async () => {
      await domainError(customers.get(randomUUID()), 'not_found', /no customer has customer_id/);
      await domainError(customers.get('42'), 'not_found', /'42'/);
    });
  });

  describe('disable and enable', () => {
    it('switch the status and publish each change', async () => {
      const customer = await customers.create(clientId, 'bob', TEST_ACTOR);
      changes.length = 0;
      assert.deepEqual(await customers.disable(customer.customerId, TEST_ACTOR), {
        ...customer,
        status: 'disabled',
      });
      assert.equal((await customers.get(customer.customerId)).status, 'disabled');
      assert.deepEqual(await customers.enable(customer.customerId, TEST_ACTOR), customer);
      assert.equal((await store.findCustomer(customer.customerId))?.status, 'active');
      assert.deepEqual(changes, [
        { entity: 'customer', id: customer.customerId },
        { entity: 'customer', id: customer.customerId },
      ]);
    });

    it('of an unknown or malformed customer_id are not_found and publish nothing', async () => {
      for (const id of [randomUUID(), 'nope']) {
        await domainError(customers.disable(id, TEST_ACTOR), 'not_found');
        await domainError(customers.enable(id, TEST_ACTOR), 'not_found');
      }
      assert.deepEqual(changes, []);
    });
  });

  describe('list', () => {
    it('pages through the customers of one application by customer_id', async () => {
      const otherApp = (await applications.create({ name: 'other' }, TEST_ACTOR)).application.clientId;
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push((await customers.create(clientId, `user-${i}`, TEST_ACTOR)).customerId);
        await customers.create(otherApp, `user-${i}`, TEST_ACTOR);
      }
      ids.sort();
      const first = await customers.list(clientId, { limit: 2 });
      assert.deepEqual(
        first.map((c) => c.customerId),
        ids.slice(0, 2),
      );
      const rest = await customers.list(clientId, { limit: 100, after: first.at(-1)?.customerId });
      assert.deepEqual(
        rest.map((c) => c.customerId),
        ids.slice(2),
      );
      assert.equal((await customers.list(clientId)).length, 5);
      assert.ok((await customers.list(clientId)).every((c) => c.clientId === clientId));
    });

    it('refuses a limit out of 1..1000 as invalid', async () => {
      for (const limit of [0, -5, 1001, 2.5]) {
        await domainError(
          customers.list(clientId, { limit }),
          'invalid',
          /limit must be a whole number from 1 to 1000/,
        );
      }
      assert.deepEqual(await customers.list(clientId, { limit: 1 }), []);
    });

    it('of an unknown application is not_found', async () => {
      await domainError(customers.list(randomUUID()), 'not_found', /no application has client_id/);
    });
  });
});
