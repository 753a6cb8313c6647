import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { TokenClass } from '../../src/domain/token-class.js';
import { storeContract } from './contract/backends.js';
import { addApplication, application, secretFor, storedSecrets, T0 } from './contract/fixtures.js';

/** ApplicationStore: applications and their secrets. Run over every backend (contract/backends.ts). */
storeContract('applications', ({ withStore }) => {
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

    it('round-trips the RFC 8705 settings: the tls_client_auth subject and certificate binding', () =>
      withStore(async (store) => {
        const app = application({
          tokenEndpointAuthMethod: 'tls_client_auth',
          tlsSubject: { field: 'tls_client_auth_subject_dn', value: 'CN=client\\, "a",O=Example ✓' },
          certificateBoundAccessTokens: true,
        });
        await store.insertApplication(app, secretFor(app.clientId));
        assert.deepEqual(await store.findApplication(app.clientId), app);
        const changed = await store.updateApplication(
          app.clientId,
          {
            tlsSubject: { field: 'tls_client_auth_san_ip', value: '2001:db8::1' },
            certificateBoundAccessTokens: false,
          },
          T0 + 5,
        );
        assert.deepEqual(changed?.tlsSubject, { field: 'tls_client_auth_san_ip', value: '2001:db8::1' });
        assert.equal(changed?.certificateBoundAccessTokens, false);
        const cleared = await store.updateApplication(
          app.clientId,
          { tokenEndpointAuthMethod: null, tlsSubject: null },
          T0 + 6,
        );
        assert.equal(cleared?.tlsSubject, null);
        assert.deepEqual(await store.findApplication(app.clientId), cleared);
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
        await assert.rejects(store.insertApplication({ ...app, name: 'impostor' }, secretFor(app.clientId)));
        assert.deepEqual(await store.findApplication(app.clientId), app);
        assert.equal((await store.listLiveSecrets(app.clientId, T0)).length, 1);
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
        assert.equal(await store.rotateSecret(second, { now: T0 + 10, previousExpiresAt: T0 + 1000 }), true);
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
        assert.equal(await store.rotateSecret(third, { now: T0 + 20, previousExpiresAt: T0 + 50_000 }), true);

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
});
