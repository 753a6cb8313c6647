import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { type Migration, Migrator } from 'kysely';
import type { Application } from '../../src/domain/application.js';
import type { Store } from '../../src/domain/store.js';
import { initial } from '../../src/store/migrations/0001-initial.js';
import { storeContract } from './contract/backends.js';
import {
  addApplication,
  application,
  auditEvent,
  customer,
  rejectsWithConflict,
  secretFor,
  signingKey,
  storedSecrets,
  T0,
} from './contract/fixtures.js';

/** Migrating, health, sandbox secrets and transactions: what Store adds to the stores of each domain. Run over every backend (contract/backends.ts). */
storeContract('the store as a whole', ({ withStore, openEmptyDatabase }) => {
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
            await tx.updateApplication(existing.clientId, { name: 'changed', resourceServer: true }, T0 + 1);
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
            assert.deepEqual(await same.findApplication(outer.clientId), outer, 'the outer write is visible');
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
