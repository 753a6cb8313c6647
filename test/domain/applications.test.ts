import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Applications } from '../../src/domain/applications.js';
import { AuditTrail } from '../../src/domain/audit-trail.js';
import { type Change, ChangeFeed } from '../../src/domain/change-feed.js';
import { ClientDirectory } from '../../src/domain/client-directory.js';
import type { Store } from '../../src/domain/store.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { domainError } from '../helpers/domain.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { openRawSqlite } from '../helpers/raw-sqlite.js';
import { TEST_ACTOR, tempDir } from '../helpers/test-server.js';

describe('Applications', () => {
  let temp: ReturnType<typeof tempDir>;
  let dbPath: string;
  let store: Store;
  let clock: FakeClock;
  let feed: ChangeFeed;
  let changes: Change[];
  let applications: Applications;

  beforeEach(async () => {
    temp = tempDir();
    dbPath = join(temp.dir, 'apps.db');
    store = openSqliteStore(dbPath);
    await store.migrate();
    clock = new FakeClock();
    feed = new ChangeFeed();
    changes = [];
    feed.subscribe((change) => changes.push(change));
    applications = new Applications(store, clock, feed, new AuditTrail(clock), 86_400);
  });

  afterEach(async () => {
    await store.close();
    temp.remove();
  });

  describe('create', () => {
    it('stores an active application with defaults and returns it with its secret', async () => {
      const { application, clientSecret } = await applications.create(
        { name: '  Acme backend  ' },
        TEST_ACTOR,
      );
      assert.match(
        application.clientId,
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      assert.equal(application.name, 'Acme backend', 'the name is trimmed');
      assert.equal(application.status, 'active');
      assert.deepEqual(application.tokenClasses, ['api', 'customer']);
      assert.equal(application.apiTokenTtl, null);
      assert.equal(application.customerTokenTtl, null);
      assert.equal(application.createdAt, clock.now());
      assert.equal(application.updatedAt, clock.now());
      assert.match(clientSecret, /^[A-Za-z0-9_-]{43}$/);
      assert.deepEqual(await store.findApplication(application.clientId), application);
      assert.deepEqual(changes, [{ entity: 'application', id: application.clientId }]);
    });

    it('keeps the given token classes (in canonical order, without duplicates) and lifetimes', async () => {
      const { application } = await applications.create(
        {
          name: 'custom',
          tokenClasses: ['customer', 'api', 'customer'],
          apiTokenTtl: 60,
          customerTokenTtl: 600,
        },
        TEST_ACTOR,
      );
      assert.deepEqual(application.tokenClasses, ['api', 'customer']);
      assert.equal(application.apiTokenTtl, 60);
      assert.equal(application.customerTokenTtl, 600);
      const customerOnly = await applications.create(
        {
          name: 'c',
          tokenClasses: ['customer'],
          customerTokenTtl: 86_400,
        },
        TEST_ACTOR,
      );
      assert.deepEqual(customerOnly.application.tokenClasses, ['customer']);
      assert.deepEqual((await store.findApplication(customerOnly.application.clientId))?.tokenClasses, [
        'customer',
      ]);
    });

    it('stores only the SHA-256 digest of the secret, which is nowhere in the database', async () => {
      const { application, clientSecret } = await applications.create({ name: 'secretive' }, TEST_ACTOR);
      const secrets = await store.listLiveSecrets(application.clientId, clock.now());
      assert.equal(secrets.length, 1);
      assert.equal(secrets[0]?.digest, createHash('sha256').update(clientSecret).digest('hex'));
      assert.equal(secrets[0]?.expiresAt, null);
      assert.equal(secrets[0]?.createdAt, clock.now());

      // No row of any table holds the secret...
      const raw = openRawSqlite(dbPath, { readOnly: true });
      try {
        const tables = raw
          .prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%'")
          .all() as { name: string }[];
        assert.ok(tables.some((t) => t.name === 'client_secrets'));
        for (const { name } of tables) {
          const rows = JSON.stringify(raw.prepare(`select * from "${name}"`).all());
          assert.ok(!rows.includes(clientSecret), `the secret is stored in ${name}`);
        }
      } finally {
        raw.close();
      }
      // ...and neither does any byte of the files (database, WAL).
      for (const file of readdirSync(temp.dir)) {
        const bytes = readFileSync(join(temp.dir, file));
        assert.equal(bytes.includes(clientSecret), false, `the secret is in ${file}`);
        assert.equal(
          bytes.includes(Buffer.from(clientSecret, 'base64url')),
          false,
          `the secret's bytes are in ${file}`,
        );
      }
    });

    it('gives every application its own client_id and secret', async () => {
      const a = await applications.create({ name: 'a' }, TEST_ACTOR);
      const b = await applications.create({ name: 'b' }, TEST_ACTOR);
      assert.notEqual(a.application.clientId, b.application.clientId);
      assert.notEqual(a.clientSecret, b.clientSecret);
      assert.equal(await applications.count(), 2);
    });

    it('refuses an empty or over-long name', async () => {
      await domainError(
        applications.create({ name: '' }, TEST_ACTOR),
        'invalid',
        /name must be 1 to 200 characters/,
      );
      await domainError(
        applications.create({ name: '   ' }, TEST_ACTOR),
        'invalid',
        /name must be 1 to 200 characters/,
      );
      await domainError(applications.create({ name: 'x'.repeat(201) }, TEST_ACTOR), 'invalid', /name/);
      assert.equal(
        (await applications.create({ name: 'x'.repeat(200) }, TEST_ACTOR)).application.name.length,
        200,
      );
      assert.equal(await applications.count(), 1);
    });

    it('refuses an unknown token class, naming it and the allowed ones', async () => {
      await domainError(
        applications.create({ name: 'n', tokenClasses: ['api', 'admin'] }, TEST_ACTOR),
        'invalid',
        /unknown token class 'admin'.*api or customer/,
      );
      await domainError(
        applications.create({ name: 'n', tokenClasses: ['API'] }, TEST_ACTOR),
        'invalid',
        /'API'/,
      );
      assert.equal(await applications.count(), 0);
    });

    it('refuses an application without any token class', async () => {
      await domainError(
        applications.create({ name: 'n', tokenClasses: [] }, TEST_ACTOR),
        'invalid',
        /at least one token class/,
      );
      assert.equal(await applications.count(), 0);
    });

    it('refuses a customer token lifetime under 600 s, explaining the LinkSDK limit', async () => {
      const error = await domainError(
        applications.create({ name: 'n', customerTokenTtl: 599 }, TEST_ACTOR),
        'invalid',
        /customer token lifetime.*600.*599/,
      );
      assert.match(error.message, /LinkSDK/);
      assert.equal(await applications.count(), 0);
    });

    it('refuses an api token lifetime out of range or not whole, without mentioning the LinkSDK', async () => {
      for (const ttl of [59, 86_401, 0, -60, 60.5, Number.NaN]) {
        const error = await domainError(
          applications.create({ name: 'n', apiTokenTtl: ttl }, TEST_ACTOR),
          'invalid',
          /api token lifetime must be a whole number of seconds from 60 to 86400/,
        );
        assert.doesNotMatch(error.message, /LinkSDK/);
      }
      await domainError(
        applications.create({ name: 'n', customerTokenTtl: 86_401 }, TEST_ACTOR),
        'invalid',
        /86400/,
      );
      assert.equal(await applications.count(), 0);
      assert.deepEqual(changes, []);
    });
  });

  describe('get, list and count', () => {
    it('get() finds an application by client_id', async () => {
      const { application } = await applications.create({ name: 'findable' }, TEST_ACTOR);
      assert.deepEqual(await applications.get(application.clientId), application);
    });

    it('get() of an unknown or malformed id is not_found, naming the id', async () => {
      await domainError(applications.get(randomUUID()), 'not_found', /no application has client_id/);
      await domainError(applications.get('not-a-uuid'), 'not_found', /'not-a-uuid'/);
      await domainError(applications.get(''), 'not_found');
      await domainError(applications.get("' or 1=1 --"), 'not_found');
    });

    it('list() pages through the applications by client_id', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++)
        ids.push((await applications.create({ name: `app ${i}` }, TEST_ACTOR)).application.clientId);
      ids.sort();
      const first = await applications.list({ limit: 2 });
      assert.deepEqual(
        first.map((a) => a.clientId),
        ids.slice(0, 2),
      );
      const rest = await applications.list({ limit: 10, after: first.at(-1)?.clientId });
      assert.deepEqual(
        rest.map((a) => a.clientId),
        ids.slice(2),
      );
      assert.equal((await applications.list()).length, 5);
      assert.equal(await applications.count(), 5);
    });

    it('list() refuses a limit out of 1..1000', async () => {
      for (const limit of [0, -1, 1001, 1.5]) {
        await domainError(
          (async () => applications.list({ limit }))(),
          'invalid',
          /limit must be a whole number from 1 to 1000/,
        );
      }
      assert.deepEqual(await applications.list({ limit: 1000 }), []);
    });

    it('list() with a bad limit returns a rejected promise instead of throwing synchronously', async () => {
      let promise: Promise<unknown> | undefined;
      assert.doesNotThrow(() => {
        promise = applications.list({ limit: 0 });
      });
      await domainError(promise ?? Promise.resolve(), 'invalid', /limit/);
    });
  });

  describe('update', () => {
    it('changes only the given settings, sets updatedAt and publishes the change', async () => {
      const { application } = await applications.create(
        {
          name: 'before',
          apiTokenTtl: 120,
          customerTokenTtl: 900,
        },
        TEST_ACTOR,
      );
      changes.length = 0;
      clock.advance(5000);

      const renamed = await applications.update(application.clientId, { name: 'after' }, TEST_ACTOR);
      assert.deepEqual(renamed, { ...application, name: 'after', updatedAt: clock.now() });
      assert.deepEqual(changes, [{ entity: 'application', id: application.clientId }]);
      assert.deepEqual(await applications.get(application.clientId), renamed);

      const changed = await applications.update(
        application.clientId,
        {
          tokenClasses: ['api'],
          apiTokenTtl: null,
          customerTokenTtl: 1800,
        },
        TEST_ACTOR,
      );
      assert.deepEqual(changed, {
        ...renamed,
        tokenClasses: ['api'],
        apiTokenTtl: null,
        customerTokenTtl: 1800,
      });
      assert.equal(changes.length, 2);
    });

    it('refuses a customer lifetime of 599 s on update too, mentioning the LinkSDK, and changes nothing', async () => {
      const { application } = await applications.create({ name: 'n', customerTokenTtl: 900 }, TEST_ACTOR);
      changes.length = 0;
      const error = await domainError(
        applications.update(application.clientId, { customerTokenTtl: 599 }, TEST_ACTOR),
        'invalid',
        /customer token lifetime/,
      );
      assert.match(error.message, /LinkSDK/);
      assert.equal((await applications.get(application.clientId)).customerTokenTtl, 900);
      assert.deepEqual(changes, []);
    });

    it('refuses invalid settings on update (name, token classes, api lifetime), changing nothing', async () => {
      const { application } = await applications.create({ name: 'n' }, TEST_ACTOR);
      await domainError(
        applications.update(application.clientId, { name: ' ' }, TEST_ACTOR),
        'invalid',
        /name/,
      );
      await domainError(
        applications.update(application.clientId, { tokenClasses: [] }, TEST_ACTOR),
        'invalid',
        /token class/,
      );
      await domainError(
        applications.update(application.clientId, { tokenClasses: ['root'] }, TEST_ACTOR),
        'invalid',
        /unknown token class 'root'/,
      );
      await domainError(
        applications.update(application.clientId, { apiTokenTtl: 59 }, TEST_ACTOR),
        'invalid',
        /api token/,
      );
      // A valid change next to an invalid one is not applied either.
      await domainError(
        applications.update(application.clientId, { name: 'partial', apiTokenTtl: 86_401 }, TEST_ACTOR),
        'invalid',
        /api token/,
      );
      assert.deepEqual(await applications.get(application.clientId), application);
    });

    it('update, disable and enable of an unknown or malformed id are not_found', async () => {
      for (const id of [randomUUID(), 'nope', randomUUID().toUpperCase()]) {
        await domainError(applications.update(id, { name: 'x' }, TEST_ACTOR), 'not_found');
        await domainError(applications.disable(id, TEST_ACTOR), 'not_found', /no application has client_id/);
        await domainError(applications.enable(id, TEST_ACTOR), 'not_found', /no application has client_id/);
      }
      assert.deepEqual(changes, []);
    });
  });

  describe('resource server', () => {
    it('is off by default, can be set on create and switched by update, and reaches the client directory', async () => {
      const directory = new ClientDirectory(store, clock, feed, {
        defaultLifetimes: { api: 3600, customer: 3600 },
      });
      const plain = await applications.create({ name: 'plain' }, TEST_ACTOR);
      assert.equal(plain.application.resourceServer, false);
      assert.equal((await directory.find(plain.application.clientId))?.resourceServer, false);

      const server = await applications.create({ name: 'api gateway', resourceServer: true }, TEST_ACTOR);
      assert.equal(server.application.resourceServer, true);
      assert.deepEqual(await applications.get(server.application.clientId), server.application);
      assert.equal((await directory.find(server.application.clientId))?.resourceServer, true);

      const switched = await applications.update(
        plain.application.clientId,
        { resourceServer: true },
        TEST_ACTOR,
      );
      assert.deepEqual(switched, { ...plain.application, resourceServer: true });
      // The change feed dropped the cached client: the directory sees the new flag.
      assert.equal((await directory.find(plain.application.clientId))?.resourceServer, true);
      const renamed = await applications.update(plain.application.clientId, { name: 'renamed' }, TEST_ACTOR);
      assert.equal(renamed.resourceServer, true, 'an update that does not name the flag keeps it');
      const off = await applications.update(
        plain.application.clientId,
        { resourceServer: false },
        TEST_ACTOR,
      );
      assert.equal(off.resourceServer, false);
    });
  });

  describe('disable and enable', () => {
    it('switch the status, keep the rest and publish each change', async () => {
      const { application } = await applications.create({ name: 'toggle' }, TEST_ACTOR);
      changes.length = 0;
      clock.advance(1);
      const disabled = await applications.disable(application.clientId, TEST_ACTOR);
      assert.deepEqual(disabled, { ...application, status: 'disabled', updatedAt: clock.now() });
      assert.equal((await store.findApplication(application.clientId))?.status, 'disabled');
      const enabled = await applications.enable(application.clientId, TEST_ACTOR);
      assert.equal(enabled.status, 'active');
      assert.equal((await store.findApplication(application.clientId))?.status, 'active');
      assert.deepEqual(changes, [
        { entity: 'application', id: application.clientId },
        { entity: 'application', id: application.clientId },
      ]);
      // The secret survives a disable/enable.
      assert.equal((await store.listLiveSecrets(application.clientId, clock.now())).length, 1);
    });
  });
});
