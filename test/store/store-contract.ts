import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { type Kysely, type Migration, Migrator } from 'kysely';
import type { Application, ClientSecret } from '../../src/domain/application.js';
import type { AuditEvent } from '../../src/domain/audit-event.js';
import type { Customer } from '../../src/domain/customer.js';
import type { SigningKey } from '../../src/domain/signing-key.js';
import { type Store, StoreConflictError } from '../../src/domain/store.js';
import type { TokenClass } from '../../src/domain/token-class.js';
import { initial } from '../../src/store/migrations/0001-initial.js';

export type OpenStore = () => Promise<{ store: Store; cleanup: () => Promise<void> }>;

/** The tables as migration 0001 left them, before the lifecycle migration (0002). */
export interface Schema0001 {
  applications: {
    client_id: string;
    name: string;
    status: string;
    token_classes: string;
    api_token_ttl: number | null;
    customer_token_ttl: number | null;
    created_at: number;
    updated_at: number;
  };
  client_secrets: {
    id: string;
    client_id: string;
    digest: string;
    created_at: number;
    expires_at: number | null;
  };
  customers: {
    customer_id: string;
    client_id: string;
    app_user_id: string;
    status: string;
    created_at: number;
  };
  signing_keys: {
    kid: string;
    alg: string;
    status: string;
    public_jwk: string;
    sealed_private_key: string;
    created_at: number;
    retired_at: number | null;
    expires_at: number | null;
  };
}

/**
 * A new, empty database for the migration test: `db` speaks to it directly (the contract runs
 * migration 0001 through it, writes rows and destroys it), `openStore` opens the Store over the
 * same database without migrating it, and `cleanup` removes the database.
 */
export type OpenEmptyDatabase = () => Promise<{
  db: Kysely<Schema0001>;
  openStore: () => Promise<Store>;
  cleanup: () => Promise<void>;
}>;

const T0 = Date.UTC(2026, 0, 1);

function application(overrides: Partial<Application> = {}): Application {
  return {
    clientId: randomUUID(),
    name: 'contract app',
    status: 'active',
    tokenClasses: ['api', 'customer'],
    apiTokenTtl: null,
    customerTokenTtl: null,
    resourceServer: false,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

function secretFor(clientId: string, overrides: Partial<ClientSecret> = {}): ClientSecret {
  return {
    id: randomUUID(),
    clientId,
    digest: 'ab'.repeat(32),
    createdAt: T0,
    expiresAt: null,
    ...overrides,
  };
}

function customer(clientId: string, overrides: Partial<Customer> = {}): Customer {
  return {
    customerId: randomUUID(),
    clientId,
    appUserId: `user-${randomUUID()}`,
    status: 'active',
    createdAt: T0,
    ...overrides,
  };
}

function signingKey(createdAt: number, overrides: Partial<SigningKey> = {}): SigningKey {
  const kid = `kid-${randomUUID()}`;
  return {
    kid,
    alg: 'RS256',
    publicJwk: JSON.stringify({ kty: 'RSA', kid, n: 'n', e: 'AQAB' }),
    sealedPrivateKey: `v1.sealed-${kid}`,
    createdAt,
    activatesAt: createdAt,
    rotatedFrom: '',
    expiresAt: null,
    ...overrides,
  };
}

function auditEvent(at: number, overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    id: randomUUID(),
    at,
    actor: 'cli:alice',
    action: 'application.update',
    targetType: 'application',
    targetId: randomUUID(),
    detail: { before: { name: 'old' }, after: { name: 'new' } },
    ...overrides,
  };
}

/** Newest first, and among events of one millisecond the greater id first: the listing order. */
function newestFirst(events: readonly AuditEvent[]): AuditEvent[] {
  return [...events].sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

/** Every stored secret of the application, expired or not (listLiveSecrets at the epoch). */
function storedSecrets(store: Store, clientId: string): Promise<ClientSecret[]> {
  return store.listLiveSecrets(clientId, 0);
}

async function addApplication(store: Store, overrides: Partial<Application> = {}): Promise<Application> {
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
export function storeContract(
  name: string,
  openStore: OpenStore,
  openEmptyDatabase: OpenEmptyDatabase,
): void {
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

      it('sandboxSecret() stores the first value made for a name and gives it back ever after', () =>
        withStore(async (store) => {
          assert.deepEqual(await store.sandboxSecret('kek', () => 'first'), {
            value: 'first',
            created: true,
          });
          assert.deepEqual(await store.sandboxSecret('kek', () => 'second'), {
            value: 'first',
            created: false,
          });
          const [a, b] = await Promise.all([
            store.sandboxSecret('token', () => 'a'),
            store.sandboxSecret('token', () => 'b'),
          ]);
          assert.equal(a.value, b.value, 'two at once agree on one value');
          assert.equal(Number(a.created) + Number(b.created), 1);
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

      // "Newest first" among several secrets is checked in the secret rotation tests below.
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

      it('listApplicationsWithLiveSecrets lists a page of applications by client_id, each with its live secrets newest first', () =>
        withStore(async (store) => {
          const all = { limit: 100 };
          assert.deepEqual(await store.listApplicationsWithLiveSecrets(T0, all), []);
          const rotated = application({ tokenClasses: ['customer'], apiTokenTtl: 120, resourceServer: true });
          const first = secretFor(rotated.clientId, { digest: '11'.repeat(32) });
          await store.insertApplication(rotated, first);
          const second = secretFor(rotated.clientId, { digest: '22'.repeat(32), createdAt: T0 + 10 });
          await store.rotateSecret(second, { now: T0 + 10, previousExpiresAt: T0 + 1000 });
          const expired = application();
          await store.insertApplication(expired, secretFor(expired.clientId, { expiresAt: T0 + 5 }));
          const apps = [rotated, expired];
          for (let i = 0; i < 5; i++) apps.push(await addApplication(store, { status: 'disabled' }));
          const ordered = [...apps].sort((a, b) => (a.clientId < b.clientId ? -1 : 1));

          // Each application exactly as findApplication and listLiveSecrets see it.
          const expected = (now: number) =>
            Promise.all(
              ordered.map(async (app) => ({
                application: await store.findApplication(app.clientId),
                secrets: await store.listLiveSecrets(app.clientId, now),
              })),
            );
          for (const now of [T0 + 10, T0 + 999, T0 + 1000]) {
            assert.deepEqual(
              await store.listApplicationsWithLiveSecrets(now, all),
              await expected(now),
              `at T0 + ${now - T0}`,
            );
          }
          const listed = await store.listApplicationsWithLiveSecrets(T0 + 10, all);
          const byId = new Map(listed.map((entry) => [entry.application.clientId, entry]));
          assert.deepEqual(byId.get(rotated.clientId), {
            application: rotated,
            secrets: [second, { ...first, expiresAt: T0 + 1000 }],
          });
          // An application without a live secret is listed all the same, with none.
          assert.deepEqual(byId.get(expired.clientId)?.secrets, []);

          // Page by page (keyset: after the last client_id seen), every application once, secrets with each.
          const paged = [];
          let after: string | undefined;
          for (;;) {
            const page = await store.listApplicationsWithLiveSecrets(T0 + 10, { limit: 2, after });
            assert.ok(page.length <= 2);
            paged.push(...page);
            if (page.length < 2) break;
            after = page.at(-1)?.application.clientId;
          }
          assert.deepEqual(paged, await expected(T0 + 10));
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

    describe('resource server flag', () => {
      it('round-trips resourceServer true and false', () =>
        withStore(async (store) => {
          const server = await addApplication(store, { resourceServer: true });
          const plain = await addApplication(store);
          assert.deepEqual(await store.findApplication(server.clientId), server);
          assert.equal((await store.findApplication(server.clientId))?.resourceServer, true);
          assert.equal((await store.findApplication(plain.clientId))?.resourceServer, false);
          assert.deepEqual(
            (await store.listApplications({ limit: 10 })).find((a) => a.clientId === server.clientId),
            server,
          );
        }));

      it('updateApplication sets and clears it, and leaves it alone when the patch does not name it', () =>
        withStore(async (store) => {
          const app = await addApplication(store);
          const on = await store.updateApplication(app.clientId, { resourceServer: true }, T0 + 1);
          assert.deepEqual(on, { ...app, resourceServer: true, updatedAt: T0 + 1 });
          const renamed = await store.updateApplication(app.clientId, { name: 'still a server' }, T0 + 2);
          assert.equal(renamed?.resourceServer, true);
          const off = await store.updateApplication(app.clientId, { resourceServer: false }, T0 + 3);
          assert.deepEqual(off, { ...app, name: 'still a server', updatedAt: T0 + 3 });
          assert.deepEqual(await store.findApplication(app.clientId), off);
        }));
    });

    describe('secret rotation', () => {
      it('rotateSecret makes the new secret current and keeps the previous one until previousExpiresAt', () =>
        withStore(async (store) => {
          const app = application();
          const first = secretFor(app.clientId, { digest: '11'.repeat(32) });
          await store.insertApplication(app, first);
          const other = await addApplication(store);
          const otherSecrets = await storedSecrets(store, other.clientId);

          const second = secretFor(app.clientId, { digest: '22'.repeat(32), createdAt: T0 + 10 });
          assert.equal(
            await store.rotateSecret(second, { now: T0 + 10, previousExpiresAt: T0 + 1000 }),
            true,
          );
          const previous = { ...first, expiresAt: T0 + 1000 };
          assert.deepEqual(await store.listLiveSecrets(app.clientId, T0 + 10), [second, previous]);
          assert.deepEqual(await store.listLiveSecrets(app.clientId, T0 + 999), [second, previous]);
          // At the deadline the previous secret is no longer live; the new one has no end.
          assert.deepEqual(await store.listLiveSecrets(app.clientId, T0 + 1000), [second]);
          assert.deepEqual(await store.listLiveSecrets(app.clientId, Number.MAX_SAFE_INTEGER), [second]);
          // Another application's secret is not touched.
          assert.deepEqual(await storedSecrets(store, other.clientId), otherSecrets);
        }));

      it('a second rotation during the grace period deletes the oldest secret: never more than two', () =>
        withStore(async (store) => {
          const app = application();
          const first = secretFor(app.clientId, { digest: '11'.repeat(32) });
          await store.insertApplication(app, first);
          const second = secretFor(app.clientId, { digest: '22'.repeat(32), createdAt: T0 + 10 });
          await store.rotateSecret(second, { now: T0 + 10, previousExpiresAt: T0 + 100_000 });
          const third = secretFor(app.clientId, { digest: '33'.repeat(32), createdAt: T0 + 20 });
          assert.equal(
            await store.rotateSecret(third, { now: T0 + 20, previousExpiresAt: T0 + 50_000 }),
            true,
          );

          const expected = [third, { ...second, expiresAt: T0 + 50_000 }];
          assert.deepEqual(await store.listLiveSecrets(app.clientId, T0 + 20), expected);
          // The first secret is gone from the store, not merely hidden, although its grace had not ended.
          assert.deepEqual(await storedSecrets(store, app.clientId), expected);
        }));

      it('a rotation after the previous grace ended also removes the expired secret', () =>
        withStore(async (store) => {
          const app = application();
          const first = secretFor(app.clientId);
          await store.insertApplication(app, first);
          const second = secretFor(app.clientId, { createdAt: T0 + 10 });
          await store.rotateSecret(second, { now: T0 + 10, previousExpiresAt: T0 + 100 });
          const third = secretFor(app.clientId, { createdAt: T0 + 5000 });
          await store.rotateSecret(third, { now: T0 + 5000, previousExpiresAt: T0 + 9000 });
          assert.deepEqual(await storedSecrets(store, app.clientId), [
            third,
            { ...second, expiresAt: T0 + 9000 },
          ]);
        }));

      it('previousExpiresAt <= now deletes the previous secret at once', () =>
        withStore(async (store) => {
          const app = application();
          await store.insertApplication(app, secretFor(app.clientId));
          const second = secretFor(app.clientId, { createdAt: T0 + 10 });
          await store.rotateSecret(second, { now: T0 + 10, previousExpiresAt: T0 + 10 });
          assert.deepEqual(await storedSecrets(store, app.clientId), [second]);
          assert.deepEqual(await store.listLiveSecrets(app.clientId, T0 + 10), [second]);

          // Also when a secret was still in its grace period, and with a deadline in the past.
          const third = secretFor(app.clientId, { createdAt: T0 + 20 });
          await store.rotateSecret(third, { now: T0 + 20, previousExpiresAt: T0 + 10_000 });
          const fourth = secretFor(app.clientId, { createdAt: T0 + 30 });
          await store.rotateSecret(fourth, { now: T0 + 30, previousExpiresAt: T0 });
          assert.deepEqual(await storedSecrets(store, app.clientId), [fourth]);
        }));

      it('rotateSecret of an unknown application answers false and stores nothing', () =>
        withStore(async (store) => {
          const app = await addApplication(store);
          const before = await storedSecrets(store, app.clientId);
          const unknown = randomUUID();
          assert.equal(
            await store.rotateSecret(secretFor(unknown), { now: T0, previousExpiresAt: T0 + 1000 }),
            false,
          );
          assert.deepEqual(await storedSecrets(store, unknown), []);
          assert.deepEqual(await storedSecrets(store, app.clientId), before);
        }));
    });

    describe('signing keys', () => {
      it('listSigningKeys is empty at first', () =>
        withStore(async (store) => {
          assert.deepEqual(await store.listSigningKeys(), []);
        }));

      it('adds the first key (rotatedFrom empty) and round-trips every field', () =>
        withStore(async (store) => {
          const key = signingKey(T0, { alg: 'ES256', activatesAt: T0 + 360_000 });
          await store.addSigningKey(key, { now: T0, previousExpiresAt: null });
          assert.deepEqual(await store.listSigningKeys(), [key]);
          const [stored] = await store.listSigningKeys();
          assert.equal(typeof stored?.createdAt, 'number');
          assert.equal(typeof stored?.activatesAt, 'number');
        }));

      it('a rotation gives the key it follows previousExpiresAt and leaves older keys alone; newest first', () =>
        withStore(async (store) => {
          const k1 = signingKey(T0);
          await store.addSigningKey(k1, { now: T0, previousExpiresAt: null });
          const k2 = signingKey(T0 + 100, { activatesAt: T0 + 400, rotatedFrom: k1.kid });
          await store.addSigningKey(k2, { now: T0 + 100, previousExpiresAt: T0 + 5000 });
          assert.deepEqual(await store.listSigningKeys(), [k2, { ...k1, expiresAt: T0 + 5000 }]);

          const k3 = signingKey(T0 + 200, { rotatedFrom: k2.kid });
          await store.addSigningKey(k3, { now: T0 + 200, previousExpiresAt: T0 + 6000 });
          assert.deepEqual(await store.listSigningKeys(), [
            k3,
            { ...k2, expiresAt: T0 + 6000 },
            { ...k1, expiresAt: T0 + 5000 },
          ]);
        }));

      it('a second rotation from the same key (another process was first) is a StoreConflictError and changes nothing', () =>
        withStore(async (store) => {
          const k1 = signingKey(T0);
          await store.addSigningKey(k1, { now: T0, previousExpiresAt: null });
          const k2 = signingKey(T0 + 1, { rotatedFrom: k1.kid });
          await store.addSigningKey(k2, { now: T0 + 1, previousExpiresAt: T0 + 500 });
          const k3 = signingKey(T0 + 2, { rotatedFrom: k2.kid });
          await store.addSigningKey(k3, { now: T0 + 2, previousExpiresAt: T0 + 9000 });
          const before = await store.listSigningKeys();

          // We still think k2 is the newest key. Had it gone through, k2 would get T0 + 20_000 and
          // k1 (expired at T0 + 600) would be deleted.
          const late = signingKey(T0 + 600, { rotatedFrom: k2.kid });
          await rejectsWithConflict(
            store.addSigningKey(late, { now: T0 + 600, previousExpiresAt: T0 + 20_000 }),
          );
          // We think there is no key at all.
          await rejectsWithConflict(
            store.addSigningKey(signingKey(T0 + 600), { now: T0 + 600, previousExpiresAt: null }),
          );
          assert.deepEqual(await store.listSigningKeys(), before);
        }));

      it('of two racing rotations from one key exactly one is stored', () =>
        withStore(async (store) => {
          const k1 = signingKey(T0);
          await store.addSigningKey(k1, { now: T0, previousExpiresAt: null });
          const racers = [1, 2, 3].map((i) => signingKey(T0 + i, { rotatedFrom: k1.kid }));
          const results = await Promise.allSettled(
            racers.map((k) =>
              store.addSigningKey(k, { now: k.createdAt, previousExpiresAt: T0 + 1000 * (k.createdAt - T0) }),
            ),
          );
          assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
          for (const r of results) {
            if (r.status === 'rejected') assert.ok(r.reason instanceof StoreConflictError, String(r.reason));
          }
          const keys = await store.listSigningKeys();
          assert.equal(keys.length, 2);
          const winner = racers.find((k) => keys.some((stored) => stored.kid === k.kid));
          assert.ok(winner);
          assert.equal(keys.find((k) => k.kid === k1.kid)?.expiresAt, T0 + 1000 * (winner.createdAt - T0));
        }));

      it('deletes keys whose expiresAt <= now, keeps those still valid', () =>
        withStore(async (store) => {
          const k1 = signingKey(T0);
          await store.addSigningKey(k1, { now: T0, previousExpiresAt: null });
          const k2 = signingKey(T0 + 1, { rotatedFrom: k1.kid });
          await store.addSigningKey(k2, { now: T0 + 1, previousExpiresAt: T0 + 1000 });
          const k3 = signingKey(T0 + 2, { rotatedFrom: k2.kid });
          await store.addSigningKey(k3, { now: T0 + 2, previousExpiresAt: T0 + 2000 });
          assert.equal((await store.listSigningKeys()).length, 3);

          // At exactly k1's expiry, k1 goes; k2 (T0 + 2000) stays.
          const k4 = signingKey(T0 + 1000, { rotatedFrom: k3.kid });
          await store.addSigningKey(k4, { now: T0 + 1000, previousExpiresAt: T0 + 9000 });
          assert.deepEqual(
            (await store.listSigningKeys()).map((k) => k.kid),
            [k4.kid, k3.kid, k2.kid],
          );

          const k5 = signingKey(T0 + 2500, { rotatedFrom: k4.kid });
          await store.addSigningKey(k5, { now: T0 + 2500, previousExpiresAt: T0 + 9500 });
          assert.deepEqual(
            (await store.listSigningKeys()).map((k) => k.kid),
            [k5.kid, k4.kid, k3.kid],
          );
        }));

      it('a rotation that fails half-way (kid already stored) rolls back', () =>
        withStore(async (store) => {
          const k1 = signingKey(T0);
          await store.addSigningKey(k1, { now: T0, previousExpiresAt: null });
          const k2 = signingKey(T0 + 1, { rotatedFrom: k1.kid });
          await store.addSigningKey(k2, { now: T0 + 1, previousExpiresAt: T0 + 5000 });
          const before = await store.listSigningKeys();

          await assert.rejects(
            store.addSigningKey(
              { ...k1, createdAt: T0 + 6000, rotatedFrom: k2.kid },
              { now: T0 + 6000, previousExpiresAt: T0 + 9000 },
            ),
          );
          assert.deepEqual(await store.listSigningKeys(), before);
        }));
    });

    describe('revoked tokens', () => {
      it('revokeToken records a jti that isTokenRevoked then reports; other jtis are not revoked', () =>
        withStore(async (store) => {
          const jti = randomUUID();
          assert.equal(await store.isTokenRevoked(jti), false);
          await store.revokeToken({ jti, clientId: randomUUID(), revokedAt: T0, expiresAt: T0 + 3_600_000 });
          assert.equal(await store.isTokenRevoked(jti), true);
          assert.equal(await store.isTokenRevoked(randomUUID()), false);
          assert.equal(await store.isTokenRevoked(''), false);
        }));

      it('revoking a jti twice is no error and keeps the first record', () =>
        withStore(async (store) => {
          const jti = randomUUID();
          const clientId = randomUUID();
          await store.revokeToken({ jti, clientId, revokedAt: T0, expiresAt: T0 + 1000 });
          await store.revokeToken({ jti, clientId, revokedAt: T0 + 10, expiresAt: T0 + 5000 });
          assert.equal(await store.isTokenRevoked(jti), true);
          // The record kept expires at T0 + 1000 (the first), so a purge at T0 + 2000 removes it.
          assert.equal(await store.purgeRevokedTokens(T0 + 2000), 1);
          assert.equal(await store.isTokenRevoked(jti), false);
        }));

      it('purgeRevokedTokens deletes the records of expired tokens (expiresAt <= now) and counts them', () =>
        withStore(async (store) => {
          const clientId = randomUUID();
          const jtis = [1000, 2000, 3000, 4000].map((offset) => ({
            jti: randomUUID(),
            expiresAt: T0 + offset,
          }));
          for (const { jti, expiresAt } of jtis)
            await store.revokeToken({ jti, clientId, revokedAt: T0, expiresAt });

          assert.equal(await store.purgeRevokedTokens(T0 + 999), 0);
          assert.equal(await store.purgeRevokedTokens(T0 + 2000), 2);
          const revoked = await Promise.all(jtis.map(({ jti }) => store.isTokenRevoked(jti)));
          assert.deepEqual(revoked, [false, false, true, true]);
          assert.equal(await store.purgeRevokedTokens(T0 + 2000), 0);
          assert.equal(await store.purgeRevokedTokens(T0 + 10_000), 2);
          assert.equal(typeof (await store.purgeRevokedTokens(T0 + 10_000)), 'number');
        }));
    });

    describe('audit events', () => {
      it('inserts many events at once and lists them newest first, every field round-tripped', () =>
        withStore(async (store) => {
          await store.insertAuditEvents([]);
          assert.deepEqual(await store.listAuditEvents({}, { limit: 10 }), []);
          const events = [
            auditEvent(T0 + 1),
            auditEvent(T0 + 3, {
              actor: '203.0.113.7',
              action: 'client.authentication_failed',
              targetId: null,
              detail: { count: 17, nested: { list: [1, 'two', null], unicode: 'ünïcode ✓ "q"' } },
            }),
            auditEvent(T0 + 2, { targetType: 'customer' }),
          ];
          await store.insertAuditEvents(events);
          const listed = await store.listAuditEvents({}, { limit: 10 });
          assert.deepEqual(listed, [events[1], events[2], events[0]]);
          assert.equal(typeof listed[0]?.at, 'number');
        }));

      it('orders events of the same millisecond by id, descending', () =>
        withStore(async (store) => {
          const events = Array.from({ length: 6 }, () => auditEvent(T0));
          await store.insertAuditEvents(events);
          assert.deepEqual(await store.listAuditEvents({}, { limit: 10 }), newestFirst(events));
        }));

      it('filters by action, actor, target id, since (inclusive) and until (exclusive), alone or together', () =>
        withStore(async (store) => {
          const app = randomUUID();
          const events = [
            auditEvent(T0 + 10, { action: 'application.create', actor: 'cli:alice', targetId: app }),
            auditEvent(T0 + 20, { action: 'application.update', actor: 'admin-api', targetId: app }),
            auditEvent(T0 + 30, { action: 'application.update', actor: 'cli:alice' }),
            auditEvent(T0 + 40, { action: 'key.rotate', actor: 'schedule', targetType: 'signing_key' }),
            auditEvent(T0 + 50, { action: 'application.disable', actor: 'admin-api', targetId: app }),
          ];
          await store.insertAuditEvents(events);
          const [create, update, otherUpdate, rotate, disable] = events as [
            AuditEvent,
            AuditEvent,
            AuditEvent,
            AuditEvent,
            AuditEvent,
          ];
          const list = async (filter: Parameters<Store['listAuditEvents']>[0]) =>
            (await store.listAuditEvents(filter, { limit: 100 })).map((e) => e.id);

          assert.deepEqual(await list({ action: 'application.update' }), [otherUpdate.id, update.id]);
          assert.deepEqual(await list({ actor: 'admin-api' }), [disable.id, update.id]);
          assert.deepEqual(await list({ targetId: app }), [disable.id, update.id, create.id]);
          assert.deepEqual(await list({ since: T0 + 30 }), [disable.id, rotate.id, otherUpdate.id]);
          assert.deepEqual(await list({ until: T0 + 30 }), [update.id, create.id]);
          assert.deepEqual(await list({ since: T0 + 20, until: T0 + 50 }), [
            rotate.id,
            otherUpdate.id,
            update.id,
          ]);
          assert.deepEqual(await list({ actor: 'cli:alice', action: 'application.update' }), [
            otherUpdate.id,
          ]);
          assert.deepEqual(await list({ targetId: app, since: T0 + 15, until: T0 + 50 }), [update.id]);
          assert.deepEqual(await list({ action: 'nothing.like.this' }), []);
          assert.deepEqual(await list({ actor: 'CLI:ALICE' }), [], 'the actor is compared exactly');
          assert.deepEqual(
            await list({
              action: undefined,
              actor: undefined,
              targetId: undefined,
              since: undefined,
              until: undefined,
            }),
            newestFirst(events).map((e) => e.id),
          );
        }));

      it('pages through the events with keyset pagination (after = the last id seen), also among ties', () =>
        withStore(async (store) => {
          // Several events share a millisecond, so a page boundary falls among them.
          const events = [0, 0, 1, 1, 1, 2, 3, 3, 4, 5, 5].map((offset) => auditEvent(T0 + offset));
          await store.insertAuditEvents(events);
          const expected = newestFirst(events).map((e) => e.id);

          const seen: string[] = [];
          let after: string | undefined;
          for (let page = 0; page < 10; page++) {
            const batch = await store.listAuditEvents({}, { limit: 3, after });
            if (batch.length === 0) break;
            assert.ok(batch.length <= 3);
            seen.push(...batch.map((e) => e.id));
            after = batch.at(-1)?.id;
          }
          assert.deepEqual(seen, expected);

          // Pagination and a filter together.
          const filtered = events.filter((_, i) => i % 2 === 0);
          const actorEvents = filtered.map((e) => ({ ...e, id: randomUUID(), actor: 'paged' }));
          await store.insertAuditEvents(actorEvents);
          const first = await store.listAuditEvents({ actor: 'paged' }, { limit: 4 });
          const rest = await store.listAuditEvents(
            { actor: 'paged' },
            { limit: 100, after: first.at(-1)?.id },
          );
          assert.deepEqual(
            [...first, ...rest].map((e) => e.id),
            newestFirst(actorEvents).map((e) => e.id),
          );
          // After the very last event (the copies share timestamps with the first set): nothing; after an
          // id that names no event: nothing either.
          const last = newestFirst([...events, ...actorEvents]).at(-1)?.id;
          assert.deepEqual(await store.listAuditEvents({}, { limit: 10, after: last }), []);
          assert.deepEqual(await store.listAuditEvents({}, { limit: 10, after: randomUUID() }), []);
        }));

      it('purgeAuditEvents deletes events older than the cut, oldest first, at most limit at a time', () =>
        withStore(async (store) => {
          const events = [5, 1, 4, 2, 3, 10, 11].map((offset) => auditEvent(T0 + offset));
          await store.insertAuditEvents(events);
          assert.equal(await store.purgeAuditEvents(T0 + 1, 100), 0, 'the cut itself is kept');
          assert.equal(await store.purgeAuditEvents(T0 + 10, 2), 2);
          const left = async () => (await store.listAuditEvents({}, { limit: 100 })).map((e) => e.at - T0);
          assert.deepEqual(await left(), [11, 10, 5, 4, 3], 'the two oldest went first');
          assert.equal(await store.purgeAuditEvents(T0 + 10, 100), 3);
          assert.deepEqual(await left(), [11, 10]);
          assert.equal(await store.purgeAuditEvents(T0 + 10, 100), 0);
        }));
    });

    describe('transactions', () => {
      it('returns what the work returns, and its writes are stored', () =>
        withStore(async (store) => {
          const app = application();
          const result = await store.transaction(async (tx) => {
            await tx.insertApplication(app, secretFor(app.clientId));
            await tx.insertAuditEvents([auditEvent(T0, { targetId: app.clientId })]);
            return 'done';
          });
          assert.equal(result, 'done');
          assert.deepEqual(await store.findApplication(app.clientId), app);
          assert.equal((await store.listAuditEvents({ targetId: app.clientId }, { limit: 10 })).length, 1);
        }));

      it('rolls back every write of the work together when it throws, and passes the error on', () =>
        withStore(async (store) => {
          const existing = await addApplication(store);
          const existingCustomer = customer(existing.clientId);
          await store.insertCustomer(existingCustomer);
          const k1 = signingKey(T0);
          await store.addSigningKey(k1, { now: T0, previousExpiresAt: null });
          const snapshot = async () => ({
            applications: await store.listApplications({ limit: 100 }),
            secrets: await storedSecrets(store, existing.clientId),
            customers: await store.listCustomers(existing.clientId, { limit: 100 }),
            keys: await store.listSigningKeys(),
            audit: await store.listAuditEvents({}, { limit: 100 }),
          });
          const before = await snapshot();

          const app = application();
          const jti = randomUUID();
          const boom = new Error('boom');
          await assert.rejects(
            store.transaction(async (tx) => {
              await tx.insertApplication(app, secretFor(app.clientId));
              await tx.insertCustomer(customer(existing.clientId));
              await tx.setCustomerStatus(existingCustomer.customerId, 'disabled');
              await tx.updateApplication(
                existing.clientId,
                { name: 'changed', resourceServer: true },
                T0 + 1,
              );
              await tx.rotateSecret(secretFor(existing.clientId, { createdAt: T0 + 1 }), {
                now: T0 + 1,
                previousExpiresAt: T0 + 1000,
              });
              await tx.addSigningKey(signingKey(T0 + 1, { rotatedFrom: k1.kid }), {
                now: T0 + 1,
                previousExpiresAt: T0 + 5000,
              });
              await tx.revokeToken({ jti, clientId: existing.clientId, revokedAt: T0, expiresAt: T0 + 9000 });
              await tx.insertAuditEvents([auditEvent(T0 + 1), auditEvent(T0 + 2)]);
              // Inside, the work sees its own writes.
              assert.deepEqual(await tx.findApplication(app.clientId), app);
              assert.equal((await tx.listSigningKeys()).length, 2);
              throw boom;
            }),
            (error) => error === boom,
          );
          assert.deepEqual(await snapshot(), before);
          assert.equal(await store.findApplication(app.clientId), undefined);
          assert.equal(await store.isTokenRevoked(jti), false);
          // The store goes on working after the rollback.
          await addApplication(store);
          assert.equal(await store.countApplications(), 2);
        }));

      it('a conflict inside the work is a StoreConflictError and rolls back the writes before it', () =>
        withStore(async (store) => {
          const app = await addApplication(store);
          await store.insertCustomer(customer(app.clientId, { appUserId: 'alice' }));
          const event = auditEvent(T0);
          await rejectsWithConflict(
            store.transaction(async (tx) => {
              await tx.insertAuditEvents([event]);
              await tx.insertCustomer(customer(app.clientId, { appUserId: 'alice' }));
            }),
          );
          assert.deepEqual(await store.listAuditEvents({}, { limit: 10 }), []);
          assert.equal((await store.listCustomers(app.clientId, { limit: 10 })).length, 1);
        }));

      it('a transaction started inside the work is the same transaction: it sees the outer writes and commits or rolls back with them', () =>
        withStore(async (store) => {
          const outer = application({ name: 'outer' });
          const inner = application({ name: 'inner' });
          const result = await store.transaction(async (tx) => {
            await tx.insertApplication(outer, secretFor(outer.clientId));
            const nested = await tx.transaction(async (same) => {
              assert.deepEqual(
                await same.findApplication(outer.clientId),
                outer,
                'the outer write is visible',
              );
              await same.insertApplication(inner, secretFor(inner.clientId));
              return 'nested';
            });
            assert.deepEqual(await tx.findApplication(inner.clientId), inner);
            return `${nested} done`;
          });
          assert.equal(result, 'nested done');
          assert.equal(await store.countApplications(), 2);

          const lost = [application(), application()];
          const boom = new Error('after the nested transaction');
          await assert.rejects(
            store.transaction(async (tx) => {
              await tx.insertApplication(lost[0] as Application, secretFor(lost[0]?.clientId ?? ''));
              await tx.transaction(async (same) => {
                await same.insertApplication(lost[1] as Application, secretFor(lost[1]?.clientId ?? ''));
                await same.insertAuditEvents([auditEvent(T0)]);
              });
              throw boom;
            }),
            (error) => error === boom,
          );
          for (const app of lost) assert.equal(await store.findApplication(app.clientId), undefined);
          assert.deepEqual(await store.listAuditEvents({}, { limit: 10 }), []);
          assert.equal(await store.countApplications(), 2);
        }));
    });

    describe('migration from 0001', () => {
      it('migrates a database made by 0001 alone, with data in it, keeping applications, secrets, customers and keys', async () => {
        const { db, openStore: openMigrated, cleanup } = await openEmptyDatabase();
        let store: Store | undefined;
        try {
          const only0001: Record<string, Migration> = { '0001-initial': initial };
          const { error } = await new Migrator({
            db,
            provider: { getMigrations: async () => only0001 },
          }).migrateToLatest();
          assert.equal(error, undefined, String(error));

          const apps = [
            application({ name: 'old one', tokenClasses: ['api'], apiTokenTtl: 600 }),
            application({ name: 'old two', status: 'disabled', customerTokenTtl: 900, updatedAt: T0 + 5 }),
          ];
          for (const a of apps) {
            await db
              .insertInto('applications')
              .values({
                client_id: a.clientId,
                name: a.name,
                status: a.status,
                token_classes: a.tokenClasses.join(' '),
                api_token_ttl: a.apiTokenTtl,
                customer_token_ttl: a.customerTokenTtl,
                created_at: a.createdAt,
                updated_at: a.updatedAt,
              })
              .execute();
          }
          const secret = secretFor(apps[0]?.clientId ?? '', { digest: 'cd'.repeat(32) });
          await db
            .insertInto('client_secrets')
            .values({
              id: secret.id,
              client_id: secret.clientId,
              digest: secret.digest,
              created_at: secret.createdAt,
              expires_at: secret.expiresAt,
            })
            .execute();
          const oldCustomer = customer(apps[0]?.clientId ?? '', { appUserId: 'legacy-user' });
          await db
            .insertInto('customers')
            .values({
              customer_id: oldCustomer.customerId,
              client_id: oldCustomer.clientId,
              app_user_id: oldCustomer.appUserId,
              status: oldCustomer.status,
              created_at: oldCustomer.createdAt,
            })
            .execute();
          const retiredKey = signingKey(T0, { alg: 'ES256' });
          const activeKey = signingKey(T0 + 1000);
          for (const [key, status, retiredAt, expiresAt] of [
            [retiredKey, 'retired', T0 + 1000, T0 + 3_000_000],
            [activeKey, 'active', null, null],
          ] as const) {
            await db
              .insertInto('signing_keys')
              .values({
                kid: key.kid,
                alg: key.alg,
                status,
                public_jwk: key.publicJwk,
                sealed_private_key: key.sealedPrivateKey,
                created_at: key.createdAt,
                retired_at: retiredAt,
                expires_at: expiresAt,
              })
              .execute();
          }
          await db.destroy();

          store = await openMigrated();
          await store.migrate();

          for (const a of apps) assert.deepEqual(await store.findApplication(a.clientId), a);
          assert.equal(await store.countApplications(), 2);
          assert.deepEqual(await store.listLiveSecrets(secret.clientId, T0), [secret]);
          assert.deepEqual(await store.findCustomer(oldCustomer.customerId), oldCustomer);

          const keys = await store.listSigningKeys();
          assert.deepEqual(
            keys.map((k) => [k.kid, k.alg, k.createdAt, k.activatesAt, k.expiresAt]),
            [
              [activeKey.kid, activeKey.alg, T0 + 1000, T0 + 1000, null],
              [retiredKey.kid, 'ES256', T0, T0, T0 + 3_000_000],
            ],
          );
          for (const k of keys) {
            const original = k.kid === activeKey.kid ? activeKey : retiredKey;
            assert.equal(k.publicJwk, original.publicJwk);
            assert.equal(k.sealedPrivateKey, original.sealedPrivateKey);
          }
          assert.notEqual(keys[0]?.rotatedFrom, keys[1]?.rotatedFrom, 'rotated_from is unique');

          // The migrated keys rotate as new ones do: exactly one successor for the active key.
          const next = signingKey(T0 + 2000, { rotatedFrom: activeKey.kid, activatesAt: T0 + 5000 });
          await store.addSigningKey(next, { now: T0 + 2000, previousExpiresAt: T0 + 9_000_000 });
          await rejectsWithConflict(
            store.addSigningKey(signingKey(T0 + 2001, { rotatedFrom: activeKey.kid }), {
              now: T0 + 2001,
              previousExpiresAt: T0 + 9_000_000,
            }),
          );
          assert.deepEqual(
            (await store.listSigningKeys()).map((k) => [k.kid, k.expiresAt]),
            [
              [next.kid, null],
              [activeKey.kid, T0 + 9_000_000],
              [retiredKey.kid, T0 + 3_000_000],
            ],
          );

          // The new columns and tables work on the migrated database.
          const updated = await store.updateApplication(
            apps[0]?.clientId ?? '',
            { resourceServer: true },
            T0 + 9,
          );
          assert.equal(updated?.resourceServer, true);
          const rotated = secretFor(secret.clientId, { createdAt: T0 + 9 });
          assert.equal(await store.rotateSecret(rotated, { now: T0 + 9, previousExpiresAt: T0 + 99 }), true);
          assert.equal((await store.listLiveSecrets(secret.clientId, T0 + 9)).length, 2);
          await store.revokeToken({ jti: 'j', clientId: secret.clientId, revokedAt: T0, expiresAt: T0 + 1 });
          assert.equal(await store.isTokenRevoked('j'), true);
          const event = auditEvent(T0);
          await store.insertAuditEvents([event]);
          assert.deepEqual(await store.listAuditEvents({}, { limit: 10 }), [event]);
          // And migrating again changes nothing.
          await store.migrate();
          assert.equal(await store.countApplications(), 2);
        } finally {
          await store?.close();
          await db.destroy().catch(() => {});
          await cleanup();
        }
      });
    });
  });
}
