import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ERASED_DETAIL } from '../../src/domain/audit-event.js';
import { ClientDirectory } from '../../src/domain/client-directory.js';
import type { Customer } from '../../src/domain/customer.js';
import { CustomerDirectory } from '../../src/domain/customer-directory.js';
import { Customers } from '../../src/domain/customers.js';
import { Deletions } from '../../src/domain/deletions.js';
import { DomainError } from '../../src/domain/domain-error.js';
import type { Store } from '../../src/domain/store.js';
import { type DomainFixture, openDomain } from '../helpers/domain.js';
import { TEST_ACTOR } from '../helpers/test-server.js';

async function expectNotFound(promise: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof DomainError, String(error));
    assert.equal(error.code, 'not_found');
    assert.match(error.message, message);
    return true;
  });
}

describe('Deletions', () => {
  let f: DomainFixture;
  let deletions: Deletions;
  let clientId: string;
  let customers: Customer[];

  beforeEach(async () => {
    f = await openDomain();
    deletions = new Deletions(f.store, f.clock, f.feed, f.audit);
    // A millisecond between writes, so that the audit log lists them in the order they were made.
    const tick = <T>(value: T): T => {
      f.clock.advance(1);
      return value;
    };
    clientId = tick((await f.applications.create({ name: 'Acme payroll' }, TEST_ACTOR)).application.clientId);
    tick(await f.applications.update(clientId, { name: 'Acme payroll v2' }, TEST_ACTOR));
    customers = [
      tick(await f.customers.create(clientId, 'jane@example.com', TEST_ACTOR)),
      tick(await f.customers.create(clientId, 'joe@example.com', TEST_ACTOR)),
    ];
    tick(await f.customers.disable(customers[0]?.customerId ?? '', TEST_ACTOR));
    f.changes.length = 0;
  });
  afterEach(() => f.close());

  describe('deleteApplication', () => {
    it('deletes it with its customers, tells the caches, and the audit log keeps only ids', async () => {
      f.clock.advance(1_000);
      const deleted = await deletions.deleteApplication(clientId, 'cli:alice');
      assert.deepEqual(deleted, { clientId, customersDeleted: 2 });
      await expectNotFound(f.applications.get(clientId), /no application has client_id/);
      for (const c of customers) await expectNotFound(f.customers.get(c.customerId), /no customer/);
      assert.deepEqual(f.changes, [{ entity: 'application', id: clientId }]);

      const [latest, ...earlier] = await f.auditEvents();
      assert.deepEqual(
        { ...latest, id: undefined },
        {
          id: undefined,
          at: f.clock.now(),
          actor: 'cli:alice',
          action: 'application.delete',
          targetType: 'application',
          targetId: clientId,
          detail: { customers_deleted: 2 },
        },
      );
      // What happened before is still there (who, what, when), without the deleted data.
      assert.deepEqual(
        earlier.map((e) => [e.action, e.targetId, e.detail]),
        [
          ['customer.disable', customers[0]?.customerId, ERASED_DETAIL],
          ['customer.create', customers[1]?.customerId, ERASED_DETAIL],
          ['customer.create', customers[0]?.customerId, ERASED_DETAIL],
          ['application.update', clientId, ERASED_DETAIL],
          ['application.create', clientId, ERASED_DETAIL],
        ],
      );
      const log = JSON.stringify(await f.auditEvents());
      for (const data of ['Acme payroll', 'jane@example.com', 'joe@example.com']) {
        assert.ok(!log.includes(data), `the audit log still holds '${data}'`);
      }
    });

    it('an unknown, malformed or already deleted client_id is not_found, and nothing happens', async () => {
      const before = await f.auditEvents();
      await expectNotFound(
        deletions.deleteApplication(randomUUID(), TEST_ACTOR),
        /^no application has client_id '[0-9a-f-]{36}'$/,
      );
      await expectNotFound(deletions.deleteApplication('not-a-uuid', TEST_ACTOR), /'not-a-uuid'$/);
      assert.deepEqual(await f.auditEvents(), before);
      assert.deepEqual(f.changes, []);

      await deletions.deleteApplication(clientId, TEST_ACTOR);
      f.changes.length = 0;
      // A retry of the same request says that it is done already.
      await expectNotFound(deletions.deleteApplication(clientId, TEST_ACTOR), /: it was deleted$/);
      assert.deepEqual(f.changes, []);
    });

    it('its customers and customers under its client_id cannot come back', async () => {
      await deletions.deleteApplication(clientId, TEST_ACTOR);
      await expectNotFound(f.customers.create(clientId, 'jane@example.com', TEST_ACTOR), /no application/);
      await expectNotFound(f.customers.list(clientId), /no application/);
    });

    it('a customer registered while its application is being deleted is not_found, never a store error', async () => {
      // The application is deleted between the create's look-up and its insert.
      const racing = new Proxy(f.store, {
        get(target, property, receiver) {
          if (property === 'transaction') {
            return async (work: Parameters<Store['transaction']>[0]) => {
              await deletions.deleteApplication(clientId, TEST_ACTOR);
              return target.transaction(work);
            };
          }
          const value = Reflect.get(target, property, receiver) as unknown;
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const customersDuringDeletion = new Customers(racing, f.applications, f.clock, f.feed, f.audit);
      await expectNotFound(customersDuringDeletion.create(clientId, 'late', TEST_ACTOR), /no application/);
      assert.deepEqual(await f.store.listCustomers(clientId, { limit: 10 }), []);
    });

    it('leaves other applications and their customers alone', async () => {
      const other = (await f.applications.create({ name: 'Other' }, TEST_ACTOR)).application;
      const theirs = await f.customers.create(other.clientId, 'jane@example.com', TEST_ACTOR);
      await deletions.deleteApplication(clientId, TEST_ACTOR);
      assert.deepEqual(await f.applications.get(other.clientId), other);
      assert.deepEqual(await f.customers.get(theirs.customerId), theirs);
      const events = await f.store.listAuditEvents({ targetId: theirs.customerId }, { limit: 10 });
      assert.deepEqual(events[0]?.detail.after, {
        ...(events[0]?.detail.after as object),
        app_user_id: 'jane@example.com',
      });
    });
  });

  describe('deleteCustomer', () => {
    it('deletes one customer, tells the caches, and the audit log keeps only ids', async () => {
      const [gone, kept] = customers as [Customer, Customer];
      const deleted = await deletions.deleteCustomer(gone.customerId, 'admin-api');
      assert.deepEqual(deleted, { customerId: gone.customerId, clientId });
      await expectNotFound(f.customers.get(gone.customerId), /no customer/);
      assert.deepEqual(await f.customers.get(kept.customerId), kept);
      assert.deepEqual(f.changes, [{ entity: 'customer', id: gone.customerId }]);
      const [latest] = await f.auditEvents();
      assert.deepEqual(
        [latest?.actor, latest?.action, latest?.targetType, latest?.targetId, latest?.detail],
        ['admin-api', 'customer.delete', 'customer', gone.customerId, { client_id: clientId }],
      );
      const log = JSON.stringify(await f.auditEvents());
      assert.ok(!log.includes('jane@example.com'));
      assert.ok(log.includes('joe@example.com'), 'another customer’s record was erased too');
      // The same app_user_id may be registered again: as a new customer, with a new id.
      const again = await f.customers.create(clientId, 'jane@example.com', TEST_ACTOR);
      assert.notEqual(again.customerId, gone.customerId);
    });

    it('an unknown, malformed or already deleted customer_id is not_found, and nothing happens', async () => {
      await expectNotFound(
        deletions.deleteCustomer(randomUUID(), TEST_ACTOR),
        /^no customer has customer_id/,
      );
      await expectNotFound(deletions.deleteCustomer('x'.repeat(500), TEST_ACTOR), /'x{80}'$/);
      const id = customers[0]?.customerId ?? '';
      await deletions.deleteCustomer(id, TEST_ACTOR);
      f.changes.length = 0;
      const before = await f.auditEvents();
      await expectNotFound(deletions.deleteCustomer(id, TEST_ACTOR), /: it was deleted$/);
      assert.deepEqual(await f.auditEvents(), before);
      assert.deepEqual(f.changes, []);
    });
  });

  describe('the in-memory directories drop what was deleted', () => {
    it('the client directory forgets the application; the customer cache forgets its customers', async () => {
      const clients = new ClientDirectory(f.store, f.clock, f.feed, {
        defaultLifetimes: { api: 3600, customer: 3600 },
      });
      clients.follow();
      await clients.loaded();
      const customerCache = new CustomerDirectory(f.store, f.feed);
      assert.ok(await clients.find(clientId));
      for (const c of customers) assert.ok(await customerCache.find(c.customerId), 'cached');

      // Another application's customer, cached too: it stays.
      const other = (await f.applications.create({ name: 'Other' }, TEST_ACTOR)).application;
      const theirs = await f.customers.create(other.clientId, 'u', TEST_ACTOR);
      assert.ok(await customerCache.find(theirs.customerId));

      await deletions.deleteApplication(clientId, TEST_ACTOR);
      assert.equal(await clients.find(clientId), null);
      for (const c of customers) assert.equal(await customerCache.find(c.customerId), null);
      assert.deepEqual(await customerCache.find(theirs.customerId), theirs);
      clients.stop();
    });

    it('the customer cache forgets a deleted customer', async () => {
      const customerCache = new CustomerDirectory(f.store, f.feed);
      const id = customers[1]?.customerId ?? '';
      assert.ok(await customerCache.find(id));
      await deletions.deleteCustomer(id, TEST_ACTOR);
      assert.equal(await customerCache.find(id), null);
    });
  });
});
