import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Application } from '../../src/domain/application.js';
import { type AuditEvent, ERASED_DETAIL } from '../../src/domain/audit-event.js';
import type { Customer } from '../../src/domain/customer.js';
import { type SigningKey, WITHDRAWN_PREFIX } from '../../src/domain/signing-key.js';
import { type Store, StoreConflictError } from '../../src/domain/store.js';
import { storeContract } from './contract/backends.js';
import { application as contractApplication } from './contract/fixtures.js';

const T0 = Date.UTC(2026, 0, 1);

/** An application of its own name, so that erased names can be told apart in the audit log. */
function application(): Application {
  return contractApplication({ name: `Acme payroll ${randomUUID().slice(0, 8)}` });
}

function secret(clientId: string, createdAt = T0) {
  return { id: randomUUID(), clientId, digest: 'cd'.repeat(32), createdAt, expiresAt: null };
}

function customer(clientId: string): Customer {
  return {
    customerId: randomUUID(),
    clientId,
    appUserId: `jane.doe+${randomUUID()}@example.com`,
    status: 'active',
    createdAt: T0,
  };
}

function event(targetId: string, detail: Record<string, unknown>, at = T0): AuditEvent {
  return {
    id: randomUUID(),
    at,
    actor: 'cli:alice',
    action: 'customer.create',
    targetType: 'customer',
    targetId,
    detail,
  };
}

function signingKey(createdAt: number, rotatedFrom: string): SigningKey {
  const kid = `kid-${randomUUID()}`;
  return {
    kid,
    alg: 'ES256',
    publicJwk: JSON.stringify({ kty: 'EC', kid }),
    sealedPrivateKey: `v1.sealed-${kid}`,
    createdAt,
    activatesAt: createdAt,
    rotatedFrom,
    expiresAt: null,
  };
}

/** An application with two customers, a rotated secret and audit events naming each. */
async function populated(store: Store) {
  const app = application();
  await store.insertApplication(app, secret(app.clientId));
  await store.rotateSecret(secret(app.clientId, T0 + 1), { now: T0 + 1, previousExpiresAt: T0 + 10_000 });
  const customers = [customer(app.clientId), customer(app.clientId)];
  for (const c of customers) await store.insertCustomer(c);
  const events = [
    event(app.clientId, { after: { name: app.name } }),
    ...customers.map((c) => event(c.customerId, { after: { app_user_id: c.appUserId } })),
  ];
  await store.insertAuditEvents(events);
  return { app, customers, events };
}

async function rejectsWithConflict(promise: Promise<unknown>): Promise<void> {
  await assert.rejects(promise, (error: unknown) => error instanceof StoreConflictError);
}

/**
 * DeletionStore (deleting applications and customers for good) and the withdrawal of signing keys:
 * the ends of life, over every backend (contract/backends.ts).
 */
storeContract('deletions and withdrawals', ({ withStore }) => {
  it('deleteApplication removes the application, its secrets and customers, and nothing else', () =>
    withStore(async (store) => {
      const { app, customers } = await populated(store);
      const other = await populated(store);

      assert.deepEqual(await store.deleteApplication(app.clientId, T0 + 5), { customers: 2 });
      assert.equal(await store.findApplication(app.clientId), undefined);
      assert.deepEqual(await store.listLiveSecrets(app.clientId, 0), []);
      assert.deepEqual(await store.listCustomers(app.clientId, { limit: 10 }), []);
      for (const c of customers) assert.equal(await store.findCustomer(c.customerId), undefined);
      assert.deepEqual(await store.listApplications({ limit: 10 }), [other.app]);
      assert.equal((await store.listLiveSecrets(other.app.clientId, 0)).length, 2);
      assert.deepEqual(
        await store.listCustomers(other.app.clientId, { limit: 10 }),
        [...other.customers].sort((a, b) => (a.customerId < b.customerId ? -1 : 1)),
      );
      // Deleting again, or an id never issued: undefined, and nothing changes.
      assert.equal(await store.deleteApplication(app.clientId, T0 + 6), undefined);
      assert.equal(await store.deleteApplication(randomUUID(), T0 + 6), undefined);
      assert.equal(await store.countApplications(), 1);
    }));

  it('an application without customers is deleted too (0 customers)', () =>
    withStore(async (store) => {
      const app = application();
      await store.insertApplication(app, secret(app.clientId));
      assert.deepEqual(await store.deleteApplication(app.clientId, T0), { customers: 0 });
      assert.equal(await store.countApplications(), 0);
    }));

  it('keeps the audit events (who, what, when, which id) but erases their detail', () =>
    withStore(async (store) => {
      const { app, customers, events } = await populated(store);
      const other = await populated(store);
      await store.deleteApplication(app.clientId, T0 + 5);

      const listed = await store.listAuditEvents({}, { limit: 100 });
      for (const original of events) {
        const kept = listed.find((e) => e.id === original.id);
        assert.deepEqual(kept, { ...original, detail: ERASED_DETAIL });
      }
      const text = JSON.stringify(listed);
      assert.ok(!text.includes(app.name), 'a deleted application name is kept');
      for (const c of customers) assert.ok(!text.includes(c.appUserId), 'a deleted app_user_id is kept');
      // Another application's events are untouched.
      for (const original of other.events) {
        assert.deepEqual(
          listed.find((e) => e.id === original.id),
          original,
        );
      }
    }));

  it('deleteCustomer removes one customer, returns it, erases its events, leaves the rest', () =>
    withStore(async (store) => {
      const { app, customers, events } = await populated(store);
      const [gone, kept] = customers as [Customer, Customer];

      assert.deepEqual(await store.deleteCustomer(gone.customerId, T0 + 5), gone);
      assert.equal(await store.findCustomer(gone.customerId), undefined);
      assert.deepEqual(await store.findCustomer(kept.customerId), kept);
      assert.deepEqual(await store.findApplication(app.clientId), app);
      const listed = await store.listAuditEvents({}, { limit: 100 });
      for (const original of events) {
        const expected =
          original.targetId === gone.customerId ? { ...original, detail: ERASED_DETAIL } : original;
        assert.deepEqual(
          listed.find((e) => e.id === original.id),
          expected,
        );
      }
      assert.equal(await store.deleteCustomer(gone.customerId, T0 + 6), undefined);
      assert.equal(await store.deleteCustomer(randomUUID(), T0 + 6), undefined);
    }));

  it('a deleted id is never used again: inserting it is a StoreConflictError that stores nothing', () =>
    withStore(async (store) => {
      const { app, customers } = await populated(store);
      const host = application();
      await store.insertApplication(host, secret(host.clientId));
      const [single, ...rest] = customers as [Customer, ...Customer[]];
      await store.deleteCustomer(single.customerId, T0 + 1);
      await store.deleteApplication(app.clientId, T0 + 2);

      assert.equal(await store.wasDeleted(app.clientId), true);
      for (const c of customers) assert.equal(await store.wasDeleted(c.customerId), true);
      assert.equal(await store.wasDeleted(host.clientId), false);
      assert.equal(await store.wasDeleted(randomUUID()), false);

      await rejectsWithConflict(store.insertApplication({ ...app, name: 'again' }, secret(app.clientId)));
      assert.equal(await store.findApplication(app.clientId), undefined);
      assert.deepEqual(await store.listLiveSecrets(app.clientId, 0), []);
      for (const c of [single, ...rest]) {
        await rejectsWithConflict(store.insertCustomer({ ...c, clientId: host.clientId }));
        assert.equal(await store.findCustomer(c.customerId), undefined);
      }
    }));

  it('a deletion in a transaction that fails leaves everything as it was', () =>
    withStore(async (store) => {
      const { app, customers, events } = await populated(store);
      await assert.rejects(
        store.transaction(async (tx) => {
          assert.deepEqual(await tx.deleteApplication(app.clientId, T0 + 5), { customers: 2 });
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.deepEqual(await store.findApplication(app.clientId), app);
      assert.equal((await store.listLiveSecrets(app.clientId, 0)).length, 2);
      assert.equal((await store.listCustomers(app.clientId, { limit: 10 })).length, 2);
      assert.equal(await store.wasDeleted(app.clientId), false);
      for (const c of customers) assert.equal(await store.wasDeleted(c.customerId), false);
      const listed = await store.listAuditEvents({}, { limit: 100 });
      for (const original of events)
        assert.deepEqual(
          listed.find((e) => e.id === original.id),
          original,
        );
    }));

  describe('withdrawing a signing key', () => {
    /** Three keys in a chain, k1 ← k2 ← k3, k3 current, the older two retired but published. */
    async function chain(store: Store) {
      const k1 = signingKey(T0, '');
      await store.addSigningKey(k1, { now: T0, previousExpiresAt: null });
      const k2 = signingKey(T0 + 10, k1.kid);
      await store.addSigningKey(k2, { now: T0 + 10, previousExpiresAt: T0 + 50_000 });
      const k3 = signingKey(T0 + 20, k2.kid);
      await store.addSigningKey(k3, { now: T0 + 20, previousExpiresAt: T0 + 60_000 });
      return { k1, k2, k3 };
    }

    it('ends its publication now, takes it out of the chain, and links its successor to its predecessor', () =>
      withStore(async (store) => {
        const { k1, k2, k3 } = await chain(store);
        assert.equal(await store.withdrawSigningKey(k2.kid, T0 + 30), true);
        const keys = await store.listSigningKeys();
        assert.deepEqual(
          keys.find((k) => k.kid === k2.kid),
          {
            ...k2,
            expiresAt: T0 + 30,
            rotatedFrom: `${WITHDRAWN_PREFIX}${k2.kid}`,
          },
        );
        assert.deepEqual(
          keys.find((k) => k.kid === k3.kid),
          { ...k3, rotatedFrom: k1.kid },
        );
        assert.deepEqual(
          keys.find((k) => k.kid === k1.kid),
          { ...k1, expiresAt: T0 + 50_000 },
        );
      }));

    it('is false for an unknown kid, an expired key, or one withdrawn already, and changes nothing', () =>
      withStore(async (store) => {
        const { k1, k3 } = await chain(store);
        assert.equal(await store.withdrawSigningKey(k3.kid, T0 + 30), true);
        const before = await store.listSigningKeys();
        assert.equal(await store.withdrawSigningKey(k3.kid, T0 + 31), false);
        assert.equal(await store.withdrawSigningKey('no-such-kid', T0 + 31), false);
        // k1 left the JWKS at T0 + 50 000.
        assert.equal(await store.withdrawSigningKey(k1.kid, T0 + 50_000), false);
        assert.deepEqual(await store.listSigningKeys(), before);
      }));

    it('a rotation only brings an expiry forward; the clean-up of a withdrawn key keeps the chain whole', () =>
      withStore(async (store) => {
        const { k1, k2, k3 } = await chain(store);
        await store.withdrawSigningKey(k3.kid, T0 + 30);
        // k2 ends at T0 + 60 000; a rotation from it that would keep it longer does not.
        const k4 = signingKey(T0 + 40, k2.kid);
        await store.addSigningKey(k4, { now: T0 + 40, previousExpiresAt: T0 + 90_000 });
        const keys = await store.listSigningKeys();
        assert.equal(keys.find((k) => k.kid === k2.kid)?.expiresAt, T0 + 60_000);
        // That rotation's clean-up deleted the withdrawn key, and k4 ← k2 ← k1 is whole.
        assert.deepEqual(
          keys.map((k) => [k.kid, k.rotatedFrom]),
          [
            [k4.kid, k2.kid],
            [k2.kid, k1.kid],
            [k1.kid, ''],
          ],
        );
        // One that ends it sooner does.
        const k5 = signingKey(T0 + 50, k4.kid);
        await store.addSigningKey(k5, { now: T0 + 50, previousExpiresAt: T0 + 70_000 });
        const k4After = (await store.listSigningKeys()).find((k) => k.kid === k4.kid);
        assert.equal(k4After?.expiresAt, T0 + 70_000);
      }));

    it('a rotation from a withdrawn key (or one gone) is a StoreConflictError and changes nothing', () =>
      withStore(async (store) => {
        const { k3 } = await chain(store);
        await store.withdrawSigningKey(k3.kid, T0 + 30);
        const before = await store.listSigningKeys();
        // An instance that has not heard of the withdrawal rotates from it, as from the newest key.
        await rejectsWithConflict(
          store.addSigningKey(signingKey(T0 + 31, k3.kid), {
            now: T0 + 29,
            previousExpiresAt: T0 + 99_000,
          }),
        );
        await rejectsWithConflict(
          store.addSigningKey(signingKey(T0 + 31, 'no-such-kid'), {
            now: T0 + 29,
            previousExpiresAt: T0 + 99_000,
          }),
        );
        assert.deepEqual(await store.listSigningKeys(), before);
      }));

    it('a withdrawal in a transaction that fails leaves the key published', () =>
      withStore(async (store) => {
        const { k3 } = await chain(store);
        const before = await store.listSigningKeys();
        await assert.rejects(
          store.transaction(async (tx) => {
            assert.equal(await tx.withdrawSigningKey(k3.kid, T0 + 30), true);
            throw new Error('boom');
          }),
          /boom/,
        );
        assert.deepEqual(await store.listSigningKeys(), before);
      }));
  });
});
