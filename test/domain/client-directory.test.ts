import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Application } from '../../src/domain/application.js';
import { ClientDirectory } from '../../src/domain/client-directory.js';
import { digestSecret } from '../../src/domain/client-secrets.js';
import { DomainError } from '../../src/domain/domain-error.js';
import type { Store } from '../../src/domain/store.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { type DomainFixture, openDomain } from '../helpers/domain.js';
import { TEST_ACTOR } from '../helpers/test-server.js';

/** The store's read methods the directory may call. */
const READS = ['findApplication', 'listLiveSecrets', 'listApplicationsWithLiveSecrets'] as const;
type Read = (typeof READS)[number];

/**
 * The real store, with its reads counted, and full loads held back on demand (`holdFullLoads`)
 * until the test releases them: to see what the directory asks of the database, and when.
 */
function countingStore(store: Store) {
  const calls: Read[] = [];
  let hold: Promise<void> | undefined;
  let release: (() => void) | undefined;
  let heldReadThroughs: Promise<void> | undefined;
  let failFullLoads = 0;
  const counted = new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (!(READS as readonly (string | symbol)[]).includes(property)) return value.bind(target);
      return async (...args: unknown[]) => {
        calls.push(property as Read);
        if (property === 'listApplicationsWithLiveSecrets') {
          if (failFullLoads > 0) {
            failFullLoads--;
            throw new Error('the database is out of reach');
          }
          // Read at once (the snapshot), answer when released: a load that takes its time.
          const result = await value.apply(target, args);
          await hold;
          return result;
        }
        const result = await value.apply(target, args);
        await heldReadThroughs;
        return result;
      };
    },
  });
  return {
    store: counted,
    calls,
    /** How many reads of each kind since the last call, and forget them. */
    take(): Partial<Record<Read, number>> {
      const counts: Partial<Record<Read, number>> = {};
      for (const call of calls.splice(0)) counts[call] = (counts[call] ?? 0) + 1;
      return counts;
    },
    holdFullLoads(): void {
      hold = new Promise((resolve) => {
        release = resolve;
      });
    },
    releaseFullLoads(): void {
      hold = undefined;
      release?.();
    },
    /** Read-throughs read at once and answer when the returned function is called. */
    holdReadThroughs(): () => void {
      let releaseReads!: () => void;
      heldReadThroughs = new Promise((resolve) => {
        releaseReads = resolve;
      });
      return () => {
        heldReadThroughs = undefined;
        releaseReads();
      };
    },
    failNextFullLoads(count: number): void {
      failFullLoads = count;
    },
  };
}

/** Lets every settled promise run on: a load held by nothing lands within a few turns. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('ClientDirectory', () => {
  let f: DomainFixture;
  let counting: ReturnType<typeof countingStore>;
  let directory: ClientDirectory;
  /** Another process's connection to the same SQLite file: its writes publish nothing here. */
  let other: Store;
  const errors: unknown[] = [];
  /** The directory's timers do not hold a process open (unref): the tests that wait on them must. */
  let keepAlive: NodeJS.Timeout;

  const open = (options: { retryMs?: number; pageSize?: number; reloadGapMs?: number } = {}) =>
    new ClientDirectory(counting.store, f.clock, f.feed, {
      defaultLifetimes: { api: 3600, customer: 600 },
      onLoadError: (error) => errors.push(error),
      reloadGapMs: 0,
      ...options,
    });

  /**
   * Whether an unknown client_id is answered without a read (everything loaded, notices arriving);
   * its own reads are not left for the next count.
   */
  const answersUnknownFromMemory = async () => {
    const before = counting.calls.length;
    assert.equal(await directory.find(randomUUID()), null);
    const reads = counting.calls.splice(before).filter((call) => call !== 'listApplicationsWithLiveSecrets');
    return reads.length === 0;
  };

  const create = async (name: string, settings: { apiTokenTtl?: number } = {}) => {
    const created = await f.applications.create({ name, ...settings }, TEST_ACTOR);
    return { clientId: created.application.clientId, secret: created.clientSecret };
  };

  /** An application written by the other process, which this one hears nothing of. */
  const createElsewhere = async (): Promise<Application> => {
    const now = f.clock.now();
    const application: Application = {
      clientId: randomUUID(),
      name: 'made elsewhere',
      status: 'active',
      tokenClasses: ['api'],
      apiTokenTtl: null,
      customerTokenTtl: null,
      resourceServer: false,
      tokenEndpointAuthMethod: null,
      jwks: null,
      jwksUri: null,
      dpopBoundAccessTokens: false,
      tlsSubject: null,
      certificateBoundAccessTokens: false,
      createdAt: now,
      updatedAt: now,
    };
    await other.insertApplication(application, {
      id: randomUUID(),
      clientId: application.clientId,
      digest: digestSecret('elsewhere').toString('hex'),
      createdAt: now,
      expiresAt: null,
    });
    return application;
  };

  beforeEach(async () => {
    f = await openDomain();
    counting = countingStore(f.store);
    other = openSqliteStore(f.dbPath);
    errors.length = 0;
    keepAlive = setInterval(() => {}, 1_000);
  });

  afterEach(async () => {
    clearInterval(keepAlive);
    directory?.stop();
    counting.releaseFullLoads();
    await other.close();
    await f.close();
  });

  it('loads every application at start, then answers known and unknown ids without a query', async () => {
    const plain = await create('plain');
    const custom = await create('custom lifetime', { apiTokenTtl: 120 });
    await f.applications.disable(plain.clientId, TEST_ACTOR);
    directory = open();
    directory.follow();
    await directory.loaded();
    assert.deepEqual(counting.take(), { listApplicationsWithLiveSecrets: 1 });
    assert.equal(await answersUnknownFromMemory(), true);

    const found = await directory.find(custom.clientId);
    assert.equal(found?.clientId, custom.clientId);
    assert.equal(found?.active, true);
    assert.deepEqual(found?.lifetimes, { api: 120, customer: 600 });
    assert.deepEqual([...(found?.tokenClasses ?? [])].sort(), ['api', 'customer']);
    assert.deepEqual(
      found?.secrets.map((s) => s.digest),
      [digestSecret(custom.secret)],
    );
    assert.equal((await directory.find(plain.clientId))?.active, false);
    assert.deepEqual((await directory.find(plain.clientId))?.lifetimes, { api: 3600, customer: 600 });

    // Unknown ids, new each time or repeated, and malformed ones: null, and not one query.
    for (let i = 0; i < 1000; i++) assert.equal(await directory.find(randomUUID()), null);
    assert.equal(await directory.find('not-a-uuid'), null);
    assert.equal(await directory.find('not-a-uuid'), null);
    assert.deepEqual(counting.take(), {});
  });

  it('loads a page at a time, and a change made between two pages is read again', async () => {
    const apps = [];
    for (let i = 0; i < 7; i++) apps.push(await create(`app ${i}`));
    const first = [...apps].sort((a, b) => (a.clientId < b.clientId ? -1 : 1))[0];
    assert.ok(first);
    directory = open({ pageSize: 3 });
    directory.follow();
    // Between two pages the load lets other work in: here a change to an application of the first page.
    await new Promise((resolve) => setImmediate(resolve));
    await f.applications.update(first.clientId, { apiTokenTtl: 240 }, TEST_ACTOR);
    await directory.loaded();
    assert.deepEqual(counting.take(), { listApplicationsWithLiveSecrets: 3 }, '7 applications, 3 a page');
    for (const app of apps) assert.equal((await directory.find(app.clientId))?.clientId, app.clientId);
    assert.equal((await directory.find(first.clientId))?.lifetimes.api, 240);
    assert.deepEqual(counting.take(), { findApplication: 1, listLiveSecrets: 1 }, 'only the changed one');
  });

  it('reads through until the first load lands, and without follow() (a one-shot command) always', async () => {
    const known = await create('known');
    counting.holdFullLoads();
    directory = open();
    directory.follow();
    assert.equal(await answersUnknownFromMemory(), false);
    assert.equal((await directory.find(known.clientId))?.clientId, known.clientId);
    assert.equal(await directory.find(randomUUID()), null);
    const reads = counting.take();
    assert.equal(reads.findApplication, 2, 'each miss read through while the load is under way');
    counting.releaseFullLoads();
    await directory.loaded();
    counting.take();
    assert.equal(await directory.find(randomUUID()), null);
    assert.deepEqual(counting.take(), {});

    const oneShot = open();
    assert.equal((await oneShot.find(known.clientId))?.clientId, known.clientId);
    assert.equal((await oneShot.find(known.clientId))?.clientId, known.clientId, 'kept once read');
    assert.equal(await oneShot.find(randomUUID()), null);
    assert.deepEqual(counting.take(), { findApplication: 2, listLiveSecrets: 2 });
    await assert.rejects(oneShot.loaded(), /does not follow/);
  });

  it('a change notice for an id makes only that id be read again, once', async () => {
    const changing = await create('changing');
    const steady = await create('steady');
    directory = open();
    directory.follow();
    await directory.loaded();
    counting.take();

    await f.applications.update(changing.clientId, { apiTokenTtl: 300 }, TEST_ACTOR);
    assert.deepEqual((await directory.find(changing.clientId))?.lifetimes, { api: 300, customer: 600 });
    assert.deepEqual(counting.take(), { findApplication: 1, listLiveSecrets: 1 });
    await directory.find(changing.clientId);
    await directory.find(steady.clientId);
    assert.deepEqual(counting.take(), {}, 'held again after the one read');

    // A rotation is a change to the application too: both secrets work from the next request on.
    f.clock.advance(1000);
    const rotated = await f.applications.rotateSecret(changing.clientId, {}, TEST_ACTOR);
    assert.equal((await directory.find(changing.clientId))?.secrets.length, 2);
    assert.deepEqual(
      (await directory.find(changing.clientId))?.secrets[0]?.digest,
      digestSecret(rotated.clientSecret),
    );
    assert.deepEqual(counting.take(), { findApplication: 1, listLiveSecrets: 1 });
  });

  it('an application made by another process is unknown here until its notice arrives, then read', async () => {
    directory = open();
    directory.follow();
    await directory.loaded();
    const elsewhere = await createElsewhere();
    counting.take();
    assert.equal(await directory.find(elsewhere.clientId), null, 'no notice yet: not asked of the database');
    assert.deepEqual(counting.take(), {});

    // PostgreSQL's NOTIFY names it.
    f.feed.publish({ entity: 'application', id: elsewhere.clientId });
    assert.equal((await directory.find(elsewhere.clientId))?.clientId, elsewhere.clientId);
    assert.deepEqual(counting.take(), { findApplication: 1, listLiveSecrets: 1 });

    // A notice for an id that has no application (a write that rolled back elsewhere): read once, then null.
    const ghost = randomUUID();
    f.feed.publish({ entity: 'application', id: ghost });
    assert.equal(await directory.find(ghost), null);
    assert.equal(await directory.find(ghost), null);
    assert.deepEqual(counting.take(), { findApplication: 1, listLiveSecrets: 1 });
  });

  it("'anything' keeps answering held clients from memory and reads misses through until the reload lands", async () => {
    const known = await create('known');
    directory = open();
    directory.follow();
    await directory.loaded();
    // The other process disables one application and creates another; SQLite's data_version says only that something changed.
    await other.updateApplication(known.clientId, { status: 'disabled' }, f.clock.now());
    const elsewhere = await createElsewhere();
    counting.take();

    counting.holdFullLoads();
    f.feed.publish({ entity: 'anything' });
    assert.equal(await answersUnknownFromMemory(), false, 'an unknown id is read through while reloading');
    assert.equal(
      (await directory.find(known.clientId))?.active,
      true,
      'held: the old answer until the reload',
    );
    const { findApplication, listLiveSecrets } = counting.take();
    assert.deepEqual([findApplication, listLiveSecrets], [undefined, undefined], 'no read for a held client');
    assert.equal(
      (await directory.find(elsewhere.clientId))?.clientId,
      elsewhere.clientId,
      'made elsewhere: found',
    );
    const reads = counting.take();
    assert.deepEqual([reads.findApplication, reads.listLiveSecrets], [1, 1]);

    counting.releaseFullLoads();
    await directory.loaded();
    assert.equal(await answersUnknownFromMemory(), true);
    assert.equal((await directory.find(elsewhere.clientId))?.clientId, elsewhere.clientId);
    assert.equal((await directory.find(known.clientId))?.active, false, 'the reload swapped the new set in');
    // (The held full load may have started before or after the count above: only read-throughs count.)
    const after = counting.take();
    assert.deepEqual([after.findApplication, after.listLiveSecrets], [undefined, undefined]);
  });

  it('a full load that raced a change does not keep that id; one that raced an anything is not kept at all', async () => {
    const racing = await create('racing');
    const steady = await create('steady');
    counting.holdFullLoads();
    directory = open();
    directory.follow();
    await settle();
    // The load has read its snapshot; the change lands before the load does.
    await f.applications.update(racing.clientId, { apiTokenTtl: 900 }, TEST_ACTOR);
    counting.take();
    counting.releaseFullLoads();
    await directory.loaded();
    assert.deepEqual((await directory.find(racing.clientId))?.lifetimes.api, 900, 'not the snapshot value');
    assert.deepEqual(counting.take(), { findApplication: 1, listLiveSecrets: 1 });
    await directory.find(steady.clientId);
    assert.deepEqual(counting.take(), {}, 'the rest of the load is kept');

    // An 'anything' while a load reads: its rows may predate the other process's write.
    counting.take();
    counting.holdFullLoads();
    f.feed.publish({ entity: 'anything' });
    const fullLoads = () => counting.calls.filter((c) => c === 'listApplicationsWithLiveSecrets').length;
    // (It starts after the gap since the last load: 4 times that one's length.)
    while (fullLoads() === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await other.updateApplication(steady.clientId, { status: 'disabled' }, f.clock.now());
    f.feed.publish({ entity: 'anything' });
    counting.releaseFullLoads();
    await directory.loaded();
    assert.equal(fullLoads(), 2, 'the raced load was followed by another');
    assert.equal((await directory.find(steady.clientId))?.active, false, 'not the raced load’s answer');
    assert.deepEqual(counting.take(), { listApplicationsWithLiveSecrets: 2 });
  });

  it('a read-through that raced a change to its id answers but is not kept', async () => {
    const app = await create('read twice');
    directory = open();
    const releaseReads = counting.holdReadThroughs();
    // Not following: every miss reads through. The change lands while the read is under way.
    const pending = directory.find(app.clientId);
    await settle();
    await f.applications.update(app.clientId, { apiTokenTtl: 700 }, TEST_ACTOR);
    releaseReads();
    assert.equal((await pending)?.lifetimes.api, 3600, 'the read answers what it read');
    counting.take();
    assert.equal((await directory.find(app.clientId))?.lifetimes.api, 700);
    assert.deepEqual(counting.take(), { findApplication: 1, listLiveSecrets: 1 });
  });

  it('while the change notices are lost, misses are read through (and a database out of reach is unavailable)', async () => {
    const known = await create('known');
    directory = open();
    directory.follow();
    await directory.loaded();
    counting.take();
    f.feed.publish({ entity: 'lost' });
    assert.equal(await answersUnknownFromMemory(), false);
    assert.equal((await directory.find(known.clientId))?.clientId, known.clientId, 'held: served');
    const elsewhere = await createElsewhere();
    assert.equal((await directory.find(elsewhere.clientId))?.clientId, elsewhere.clientId);
    assert.deepEqual(counting.take(), { findApplication: 1, listLiveSecrets: 1 });

    await f.store.close();
    await assert.rejects(
      async () => directory.find(randomUUID()),
      (error: unknown) => {
        assert.ok(error instanceof DomainError);
        assert.equal(error.code, 'unavailable');
        return true;
      },
    );
    assert.equal((await directory.find(known.clientId))?.clientId, known.clientId, 'held: still served');
  });

  it('spaces full loads: a stream of anything makes one load follow another only after the gap', async () => {
    await create('known');
    directory = open({ reloadGapMs: 1_000 });
    directory.follow();
    await directory.loaded();
    counting.take();
    const started = performance.now();
    for (let i = 0; i < 20; i++) {
      f.feed.publish({ entity: 'anything' });
      await new Promise((resolve) => setImmediate(resolve));
    }
    await directory.loaded();
    assert.ok(performance.now() - started >= 900, 'the next load waited for the gap');
    const loads = counting.calls.filter((c) => c === 'listApplicationsWithLiveSecrets').length;
    assert.equal(loads, 1, `${loads} full loads for 20 anything in a row`);
  });

  it('a failed load rejects loaded(), is reported and tried again; a later anything retries at once', async () => {
    await create('known');
    counting.failNextFullLoads(1);
    directory = open({ retryMs: 20 });
    directory.follow();
    await assert.rejects(directory.loaded(), /out of reach/);
    assert.equal(errors.length, 1);
    await directory.loaded();
    assert.equal(await answersUnknownFromMemory(), true);

    counting.failNextFullLoads(1);
    directory.stop();
    directory = open({ retryMs: 60_000 });
    directory.follow();
    await assert.rejects(directory.loaded(), /out of reach/);
    f.feed.publish({ entity: 'anything' });
    await directory.loaded();
    assert.equal(await answersUnknownFromMemory(), true);
  });
});
