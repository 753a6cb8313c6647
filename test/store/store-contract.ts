import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { TokenClass } from '../../src/domain/token-class.js';
import {
  type ApplicationRow,
  type CustomerRow,
  type SecretRow,
  type SigningKeyRow,
  type Store,
  StoreConflictError,
} from '../../src/store/store.js';

export type OpenStore = () => Promise<{ store: Store; cleanup: () => Promise<void> }>;

const T0 = Date.UTC(2026, 0, 1);

function application(overrides: Partial<ApplicationRow> = {}): ApplicationRow {
  return {
    clientId: randomUUID(),
    name: 'contract app',
    status: 'active',
    tokenClasses: ['api', 'customer'],
    apiTokenTtl: null,
    customerTokenTtl: null,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

function secretFor(clientId: string, overrides: Partial<SecretRow> = {}): SecretRow {
  return {
    id: randomUUID(),
    clientId,
    digest: 'ab'.repeat(32),
    createdAt: T0,
    expiresAt: null,
    ...overrides,
  };
}

function customer(clientId: string, overrides: Partial<CustomerRow> = {}): CustomerRow {
  return {
    customerId: randomUUID(),
    clientId,
    appUserId: `user-${randomUUID()}`,
    status: 'active',
    createdAt: T0,
    ...overrides,
  };
}

function signingKey(createdAt: number, overrides: Partial<SigningKeyRow> = {}): SigningKeyRow {
  const kid = `kid-${randomUUID()}`;
  return {
    kid,
    alg: 'RS256',
    status: 'active',
    publicJwk: JSON.stringify({ kty: 'RSA', kid, n: 'n', e: 'AQAB' }),
    sealedPrivateKey: `v1.sealed-${kid}`,
    createdAt,
    retiredAt: null,
    expiresAt: null,
    ...overrides,
  };
}

async function addApplication(
  store: Store,
  overrides: Partial<ApplicationRow> = {},
): Promise<ApplicationRow> {
  const app = application(overrides);
  await store.insertApplication(app, secretFor(app.clientId));
  return app;
}

async function rejectsWithConflict(promise: Promise<unknown>): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof StoreConflictError, `expected StoreConflictError, got ${String(error)}`);
    return true;
  });
}

/**
 * The behaviour every Store must have, whatever the database. Each test gets a fresh, migrated store
 * from `openStore` and calls its `cleanup` afterwards.
 */
export function storeContract(name: string, openStore: OpenStore): void {
  async function withStore(test: (store: Store) => Promise<void>): Promise<void> {
    const { store, cleanup } = await openStore();
    try {
      await test(store);
    } finally {
      await cleanup();
    }
  }

  describe(`Store contract: ${name}`, () => {
    describe('schema and health', () => {
      it('migrate() can run again (twice) on an up-to-date schema and keeps the data', () =>
        withStore(async (store) => {
          const app = await addApplication(store);
          await store.migrate();
          await store.migrate();
          assert.deepEqual(await store.findApplication(app.clientId), app);
          assert.equal(await store.countApplications(), 1);
        }));

      it('ping() resolves while the database answers', () =>
        withStore(async (store) => {
          await store.ping();
        }));
    });

    describe('applications', () => {
      it('round-trips every field of an application', () =>
        withStore(async (store) => {
          const app = application({
            name: 'Round trip ✓ "quoted"',
            status: 'disabled',
            tokenClasses: ['customer'],
            apiTokenTtl: 120,
            customerTokenTtl: 900,
            createdAt: T0 + 1,
            updatedAt: T0 + 2,
          });
          await store.insertApplication(app, secretFor(app.clientId));
          const found = await store.findApplication(app.clientId);
          assert.deepEqual(found, app);
          assert.ok(Array.isArray(found?.tokenClasses));
          assert.equal(typeof found?.createdAt, 'number');
        }));

      it('keeps the token classes as an array, in order, for each combination', () =>
        withStore(async (store) => {
          const combinations: TokenClass[][] = [['api'], ['customer'], ['api', 'customer']];
          for (const tokenClasses of combinations) {
            const app = await addApplication(store, { tokenClasses });
            assert.deepEqual((await store.findApplication(app.clientId))?.tokenClasses, tokenClasses);
          }
        }));

      it('answers undefined for an unknown client_id', () =>
        withStore(async (store) => {
          await addApplication(store);
          assert.equal(await store.findApplication(randomUUID()), undefined);
        }));

      it('lists applications ordered by client_id, a page at a time (keyset pagination)', () =>
        withStore(async (store) => {
          const ids: string[] = [];
          for (let i = 0; i < 7; i++) ids.push((await addApplication(store, { name: `app ${i}` })).clientId);
          ids.sort();

          const first = await store.listApplications({ limit: 3 });
          assert.deepEqual(
            first.map((a) => a.clientId),
            ids.slice(0, 3),
          );
          const second = await store.listApplications({ limit: 3, after: first.at(-1)?.clientId });
          assert.deepEqual(
            second.map((a) => a.clientId),
            ids.slice(3, 6),
          );
          const third = await store.listApplications({ limit: 3, after: second.at(-1)?.clientId });
          assert.deepEqual(
            third.map((a) => a.clientId),
            ids.slice(6),
          );
          assert.deepEqual(await store.listApplications({ limit: 3, after: ids.at(-1) }), []);
          assert.deepEqual(
            (await store.listApplications({ limit: 100 })).map((a) => a.clientId),
            ids,
          );
          // `after` need not be an existing id: it is a position in the order.
          assert.deepEqual(
            (await store.listApplications({ limit: 100, after: `${ids[2]}~` })).map((a) => a.clientId),
            ids.slice(3),
          );
          // The listed rows are whole rows.
          assert.equal(first[0]?.name.startsWith('app '), true);
          assert.deepEqual(first[0]?.tokenClasses, ['api', 'customer']);
        }));

      it('counts applications', () =>
        withStore(async (store) => {
          assert.equal(await store.countApplications(), 0);
          await addApplication(store);
          await addApplication(store);
          await addApplication(store, { status: 'disabled' });
          assert.equal(await store.countApplications(), 3);
        }));

      it('updateApplication changes only the fields in the patch and sets updatedAt', () =>
        withStore(async (store) => {
          const app = await addApplication(store, { apiTokenTtl: 300, customerTokenTtl: 1200 });
          const other = await addApplication(store, { name: 'untouched' });

          const renamed = await store.updateApplication(app.clientId, { name: 'renamed' }, T0 + 10);
          const expected = { ...app, name: 'renamed', updatedAt: T0 + 10 };
          assert.deepEqual(renamed, expected);
          assert.deepEqual(await store.findApplication(app.clientId), expected);

          const disabled = await store.updateApplication(
            app.clientId,
            { status: 'disabled', tokenClasses: ['api'], customerTokenTtl: 7200 },
            T0 + 20,
          );
          assert.deepEqual(disabled, {
            ...expected,
            status: 'disabled',
            tokenClasses: ['api'],
            customerTokenTtl: 7200,
            updatedAt: T0 + 20,
          });

          assert.deepEqual(await store.findApplication(other.clientId), other);
        }));

      it('updateApplication with a null lifetime clears it; an absent one is left alone', () =>
        withStore(async (store) => {
          const app = await addApplication(store, { apiTokenTtl: 300, customerTokenTtl: 1200 });
          const cleared = await store.updateApplication(app.clientId, { apiTokenTtl: null }, T0 + 5);
          assert.equal(cleared?.apiTokenTtl, null);
          assert.equal(cleared?.customerTokenTtl, 1200);
          const both = await store.updateApplication(app.clientId, { customerTokenTtl: null }, T0 + 6);
          assert.equal(both?.apiTokenTtl, null);
          assert.equal(both?.customerTokenTtl, null);
          assert.deepEqual(await store.findApplication(app.clientId), both);
        }));

      it('updateApplication with an empty patch only touches updatedAt', () =>
        withStore(async (store) => {
          const app = await addApplication(store, { apiTokenTtl: 300 });
          assert.deepEqual(await store.updateApplication(app.clientId, {}, T0 + 99), {
            ...app,
            updatedAt: T0 + 99,
          });
        }));

      it('updateApplication answers undefined for an unknown client and creates nothing', () =>
        withStore(async (store) => {
          await addApplication(store);
          const id = randomUUID();
          assert.equal(await store.updateApplication(id, { name: 'ghost' }, T0), undefined);
          assert.equal(await store.findApplication(id), undefined);
          assert.equal(await store.countApplications(), 1);
        }));

      it('longestTokenTtlOverride is null without overrides and the largest of both columns otherwise', () =>
        withStore(async (store) => {
          assert.equal(await store.longestTokenTtlOverride(), null);
          await addApplication(store);
          assert.equal(await store.longestTokenTtlOverride(), null);

          await addApplication(store, { apiTokenTtl: 500 });
          assert.equal(await store.longestTokenTtlOverride(), 500);

          const c = await addApplication(store, { customerTokenTtl: 4000 });
          assert.equal(await store.longestTokenTtlOverride(), 4000);

          await addApplication(store, { apiTokenTtl: 7000, customerTokenTtl: 600 });
          assert.equal(await store.longestTokenTtlOverride(), 7000);
          assert.equal(typeof (await store.longestTokenTtlOverride()), 'number');

          await store.updateApplication(c.clientId, { customerTokenTtl: 9000 }, T0);
          assert.equal(await store.longestTokenTtlOverride(), 9000);
        }));
    });

    describe('secrets', () => {
      it('listLiveSecrets returns the unexpired secrets of that client, newest first', () =>
        withStore(async (store) => {
          const now = T0 + 60_000;
          const app = application();
          const current = secretFor(app.clientId, { createdAt: T0 + 3000, digest: 'cc'.repeat(32) });
          await store.insertApplication(app, current);
          const other = await addApplication(store);
          const live = await store.listLiveSecrets(app.clientId, now);
          assert.deepEqual(live, [current]);
          assert.equal((await store.listLiveSecrets(other.clientId, now)).length, 1);
          assert.deepEqual(await store.listLiveSecrets(randomUUID(), now), []);
        }));

      // The Store has no method yet that adds a second secret to an application, so "newest first"
      // among several secrets is checked per backend (see sqlite-store.test.ts).
      it('leaves out an expired secret (expiresAt <= now) and keeps one with null expiresAt', () =>
        withStore(async (store) => {
          const app = application();
          const expired = secretFor(app.clientId, { expiresAt: T0 + 1000 });
          await store.insertApplication(app, expired);
          assert.deepEqual(await store.listLiveSecrets(app.clientId, T0 + 999), [expired]);
          assert.deepEqual(await store.listLiveSecrets(app.clientId, T0 + 1000), []);
          assert.deepEqual(await store.listLiveSecrets(app.clientId, T0 + 5000), []);

          const other = application();
          const forever = secretFor(other.clientId, { expiresAt: null });
          await store.insertApplication(other, forever);
          assert.deepEqual(await store.listLiveSecrets(other.clientId, Number.MAX_SAFE_INTEGER), [forever]);
        }));

      it('a failed insertApplication (duplicate secret id) leaves no application row behind', () =>
        withStore(async (store) => {
          const first = application();
          const secret = secretFor(first.clientId);
          await store.insertApplication(first, secret);

          const second = application({ name: 'half written?' });
          await assert.rejects(store.insertApplication(second, { ...secret, clientId: second.clientId }));
          assert.equal(await store.findApplication(second.clientId), undefined);
          assert.equal(await store.countApplications(), 1);
          assert.deepEqual(await store.listLiveSecrets(second.clientId, T0), []);
          assert.deepEqual(await store.listLiveSecrets(first.clientId, T0), [secret]);
          // The store still works after the rollback.
          await addApplication(store);
          assert.equal(await store.countApplications(), 2);
        }));

      it('a duplicate client_id is refused and the first application is unchanged', () =>
        withStore(async (store) => {
          const app = await addApplication(store);
          await assert.rejects(
            store.insertApplication({ ...app, name: 'impostor' }, secretFor(app.clientId)),
          );
          assert.deepEqual(await store.findApplication(app.clientId), app);
          assert.equal((await store.listLiveSecrets(app.clientId, T0)).length, 1);
        }));
    });

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
          const mine: CustomerRow[] = [];
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

    describe('signing keys', () => {
      it('listSigningKeys is empty at first', () =>
        withStore(async (store) => {
          assert.deepEqual(await store.listSigningKeys(), []);
        }));

      it('activates the first key with expectedActiveKid null and round-trips it', () =>
        withStore(async (store) => {
          const key = signingKey(T0, { alg: 'ES256' });
          await store.activateSigningKey(key, { now: T0, retiredUntil: T0 + 1000, expectedActiveKid: null });
          assert.deepEqual(await store.listSigningKeys(), [key]);
        }));

      it('a rotation retires the active key (retiredAt = now, expiresAt = retiredUntil), newest first', () =>
        withStore(async (store) => {
          const k1 = signingKey(T0);
          await store.activateSigningKey(k1, { now: T0, retiredUntil: T0 + 1, expectedActiveKid: null });
          const k2 = signingKey(T0 + 100);
          await store.activateSigningKey(k2, {
            now: T0 + 100,
            retiredUntil: T0 + 5000,
            expectedActiveKid: k1.kid,
          });
          assert.deepEqual(await store.listSigningKeys(), [
            k2,
            { ...k1, status: 'retired', retiredAt: T0 + 100, expiresAt: T0 + 5000 },
          ]);

          const k3 = signingKey(T0 + 200);
          await store.activateSigningKey(k3, {
            now: T0 + 200,
            retiredUntil: T0 + 6000,
            expectedActiveKid: k2.kid,
          });
          const keys = await store.listSigningKeys();
          assert.deepEqual(
            keys.map((k) => [k.kid, k.status]),
            [
              [k3.kid, 'active'],
              [k2.kid, 'retired'],
              [k1.kid, 'retired'],
            ],
          );
          assert.deepEqual(keys[1], { ...k2, status: 'retired', retiredAt: T0 + 200, expiresAt: T0 + 6000 });
          assert.equal(keys[2]?.expiresAt, T0 + 5000, 'an already retired key keeps its own expiry');
          assert.equal(keys.filter((k) => k.status === 'active').length, 1);
        }));

      it('deletes retired keys whose expiresAt <= now, keeps those still valid', () =>
        withStore(async (store) => {
          const k1 = signingKey(T0);
          await store.activateSigningKey(k1, { now: T0, retiredUntil: 0, expectedActiveKid: null });
          const k2 = signingKey(T0 + 1);
          // k1 retired until T0 + 1000.
          await store.activateSigningKey(k2, {
            now: T0 + 1,
            retiredUntil: T0 + 1000,
            expectedActiveKid: k1.kid,
          });
          const k3 = signingKey(T0 + 2);
          // k2 retired until T0 + 2000.
          await store.activateSigningKey(k3, {
            now: T0 + 2,
            retiredUntil: T0 + 2000,
            expectedActiveKid: k2.kid,
          });
          assert.equal((await store.listSigningKeys()).length, 3);

          // At exactly k1's expiry, k1 goes; k2 (T0 + 2000) stays.
          const k4 = signingKey(T0 + 1000);
          await store.activateSigningKey(k4, {
            now: T0 + 1000,
            retiredUntil: T0 + 9000,
            expectedActiveKid: k3.kid,
          });
          assert.deepEqual(
            (await store.listSigningKeys()).map((k) => k.kid),
            [k4.kid, k3.kid, k2.kid],
          );

          const k5 = signingKey(T0 + 2500);
          await store.activateSigningKey(k5, {
            now: T0 + 2500,
            retiredUntil: T0 + 9500,
            expectedActiveKid: k4.kid,
          });
          assert.deepEqual(
            (await store.listSigningKeys()).map((k) => k.kid),
            [k5.kid, k4.kid, k3.kid],
          );
        }));

      it('a wrong expectedActiveKid is a StoreConflictError and changes nothing', () =>
        withStore(async (store) => {
          const k1 = signingKey(T0);
          await store.activateSigningKey(k1, { now: T0, retiredUntil: T0, expectedActiveKid: null });
          const k2 = signingKey(T0 + 1);
          await store.activateSigningKey(k2, {
            now: T0 + 1,
            retiredUntil: T0 + 500,
            expectedActiveKid: k1.kid,
          });
          const before = await store.listSigningKeys();

          // Another process rotated first: we still think k1 is active.
          await rejectsWithConflict(
            store.activateSigningKey(signingKey(T0 + 600), {
              now: T0 + 600,
              retiredUntil: T0 + 9000,
              expectedActiveKid: k1.kid,
            }),
          );
          // We think there is no key at all.
          await rejectsWithConflict(
            store.activateSigningKey(signingKey(T0 + 600), {
              now: T0 + 600,
              retiredUntil: T0 + 9000,
              expectedActiveKid: null,
            }),
          );
          // Nothing retired, nothing deleted (k1 would have been, at T0 + 600), nothing inserted.
          assert.deepEqual(await store.listSigningKeys(), before);
        }));

      it('expecting an active key on an empty store is a StoreConflictError', () =>
        withStore(async (store) => {
          await rejectsWithConflict(
            store.activateSigningKey(signingKey(T0), {
              now: T0,
              retiredUntil: T0,
              expectedActiveKid: 'nope',
            }),
          );
          assert.deepEqual(await store.listSigningKeys(), []);
        }));

      it('a rotation that fails half-way (kid already stored) rolls back: the active key stays active', () =>
        withStore(async (store) => {
          const k1 = signingKey(T0);
          await store.activateSigningKey(k1, { now: T0, retiredUntil: T0, expectedActiveKid: null });
          const k2 = signingKey(T0 + 1);
          await store.activateSigningKey(k2, {
            now: T0 + 1,
            retiredUntil: T0 + 5000,
            expectedActiveKid: k1.kid,
          });
          const before = await store.listSigningKeys();

          // Re-activating k1's kid: the retire step runs, then the insert fails on the primary key.
          await assert.rejects(
            store.activateSigningKey(
              { ...k1, createdAt: T0 + 2 },
              { now: T0 + 2, retiredUntil: T0 + 6000, expectedActiveKid: k2.kid },
            ),
          );
          assert.deepEqual(await store.listSigningKeys(), before);
        }));
    });
  });
}
