import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Customer } from '../../src/domain/customer.js';
import { storeContract } from './contract/backends.js';
import { addApplication, customer, rejectsWithConflict, T0 } from './contract/fixtures.js';

/** CustomerStore. Run over every backend (contract/backends.ts). */
storeContract('customers', ({ withStore }) => {
  describe('customers', () => {
    it('round-trips a customer and answers undefined for an unknown id', () =>
      withStore(async (store) => {
        const app = await addApplication(store);
        const c = customer(app.clientId, {
          appUserId: 'user: ünïcode 42',
          status: 'disabled',
          createdAt: T0 + 7,
        });
        await store.insertCustomer(c);
        assert.deepEqual(await store.findCustomer(c.customerId), c);
        assert.equal(await store.findCustomer(randomUUID()), undefined);
      }));

    it('lists the customers of one application only, ordered by customer_id, a page at a time', () =>
      withStore(async (store) => {
        const app = await addApplication(store);
        const other = await addApplication(store);
        const mine: Customer[] = [];
        for (let i = 0; i < 5; i++) {
          const c = customer(app.clientId);
          await store.insertCustomer(c);
          mine.push(c);
          await store.insertCustomer(customer(other.clientId));
        }
        mine.sort((a, b) => (a.customerId < b.customerId ? -1 : 1));

        const first = await store.listCustomers(app.clientId, { limit: 2 });
        assert.deepEqual(first, mine.slice(0, 2));
        const second = await store.listCustomers(app.clientId, {
          limit: 2,
          after: first.at(-1)?.customerId,
        });
        assert.deepEqual(second, mine.slice(2, 4));
        const third = await store.listCustomers(app.clientId, {
          limit: 2,
          after: second.at(-1)?.customerId,
        });
        assert.deepEqual(third, mine.slice(4));
        assert.deepEqual(await store.listCustomers(app.clientId, { limit: 100 }), mine);
        assert.equal((await store.listCustomers(other.clientId, { limit: 100 })).length, 5);
        assert.deepEqual(await store.listCustomers(randomUUID(), { limit: 100 }), []);
      }));

    it('setCustomerStatus changes only the status and answers undefined for an unknown id', () =>
      withStore(async (store) => {
        const app = await addApplication(store);
        const c = customer(app.clientId);
        const neighbour = customer(app.clientId);
        await store.insertCustomer(c);
        await store.insertCustomer(neighbour);

        assert.deepEqual(await store.setCustomerStatus(c.customerId, 'disabled'), {
          ...c,
          status: 'disabled',
        });
        assert.deepEqual(await store.findCustomer(c.customerId), { ...c, status: 'disabled' });
        assert.deepEqual(await store.setCustomerStatus(c.customerId, 'active'), c);
        assert.deepEqual(await store.findCustomer(neighbour.customerId), neighbour);

        const unknown = randomUUID();
        assert.equal(await store.setCustomerStatus(unknown, 'disabled'), undefined);
        assert.equal(await store.findCustomer(unknown), undefined);
      }));

    it('refuses a second customer with the same app_user_id in one application (StoreConflictError)', () =>
      withStore(async (store) => {
        const app = await addApplication(store);
        const first = customer(app.clientId, { appUserId: 'alice' });
        await store.insertCustomer(first);
        const duplicate = customer(app.clientId, { appUserId: 'alice' });
        await rejectsWithConflict(store.insertCustomer(duplicate));
        assert.equal(await store.findCustomer(duplicate.customerId), undefined);
        assert.deepEqual(await store.listCustomers(app.clientId, { limit: 10 }), [first]);
      }));

    it('accepts the same app_user_id under another application', () =>
      withStore(async (store) => {
        const a = await addApplication(store);
        const b = await addApplication(store);
        const ca = customer(a.clientId, { appUserId: 'alice' });
        const cb = customer(b.clientId, { appUserId: 'alice' });
        await store.insertCustomer(ca);
        await store.insertCustomer(cb);
        assert.deepEqual(await store.findCustomer(ca.customerId), ca);
        assert.deepEqual(await store.findCustomer(cb.customerId), cb);
      }));

    it('app_user_id is compared exactly: a different case is another user', () =>
      withStore(async (store) => {
        const app = await addApplication(store);
        await store.insertCustomer(customer(app.clientId, { appUserId: 'Alice' }));
        await store.insertCustomer(customer(app.clientId, { appUserId: 'alice' }));
        assert.equal((await store.listCustomers(app.clientId, { limit: 10 })).length, 2);
      }));
  });
});
