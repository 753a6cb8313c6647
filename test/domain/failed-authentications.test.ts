import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type { AuditEvent } from '../../src/domain/audit-event.js';
import {
  ADMIN_AUTHENTICATION_FAILED,
  FailedAuthentications,
  PAIRS_PER_MINUTE,
} from '../../src/domain/failed-authentications.js';
import type { Store } from '../../src/domain/store.js';
import { openPostgresStore } from '../../src/store/postgres-store.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { skipWithoutPostgres } from '../helpers/postgres.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres-database.js';
import { tempDir } from '../helpers/test-server.js';

type OpenStore = () => Promise<{ store: Store; cleanup: () => Promise<void> }>;

const postgresSkip = await skipWithoutPostgres();
/** A database of this file's own (see test/helpers/postgres-database.ts). */
let database: TestDatabase | undefined;
if (!postgresSkip) {
  before(async () => {
    database = await createTestDatabase();
  });
  after(() => database?.drop());
}

const backends: { name: string; skip: string | false; open: OpenStore }[] = [
  {
    name: 'SQLite',
    skip: false,
    async open() {
      const temp = tempDir();
      const store = openSqliteStore(join(temp.dir, 'failures.db'));
      await store.migrate();
      return {
        store,
        async cleanup() {
          await store.close();
          temp.remove();
        },
      };
    },
  },
  {
    name: 'PostgreSQL',
    skip: postgresSkip,
    async open() {
      assert.ok(database, 'the test database was created');
      const schema = database.freshSchema();
      const store = await openPostgresStore(schema.url);
      await store.migrate();
      return {
        store,
        async cleanup() {
          await store.close();
          await schema.drop();
        },
      };
    },
  },
];

/** The store, with a record of every method called on it. */
function watched(store: Store): { store: Store; calls: string[] } {
  const calls: string[] = [];
  const proxy = new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(property));
        return value.apply(target, args);
      };
    },
  });
  return { store: proxy, calls };
}

/** Whether `text` holds a control character (C0 or DEL). */
function hasControl(text: string): boolean {
  return [...text].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
}

for (const backend of backends) {
  describe(`FailedAuthentications over ${backend.name}`, { skip: backend.skip }, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let clock: FakeClock;
    let errors: unknown[];

    beforeEach(async () => {
      ({ store, cleanup } = await backend.open());
      clock = new FakeClock();
      errors = [];
    });

    afterEach(() => cleanup());

    const failures = (s: Store) => new FailedAuthentications(s, clock, (error) => errors.push(error));
    const events = () =>
      store.listAuditEvents({ action: 'client.authentication_failed' }, { limit: 100_000 });
    const byActorAndTarget = (list: AuditEvent[]) =>
      [...list].sort((a, b) => `${a.actor} ${a.targetId}`.localeCompare(`${b.actor} ${b.targetId}`));

    it('counts in memory with no I/O, and writes one event per (client, address) with a count on flush', async () => {
      const { store: spied, calls } = watched(store);
      const counter = failures(spied);
      const t0 = clock.now();
      for (let i = 0; i < 50; i++) {
        counter.note('client-a', '192.0.2.1');
        clock.advance(10);
      }
      counter.note('client-a', '198.51.100.2');
      counter.note('client-a', '198.51.100.2', true);
      counter.note('client-b', '192.0.2.1');
      assert.deepEqual(calls, [], 'note() touched the store');

      await counter.flush();
      assert.deepEqual(calls, ['insertAuditEvents'], 'one write for the whole window');
      const written = byActorAndTarget(await events());
      assert.deepEqual(
        written.map((e) => [e.actor, e.targetId, e.detail.count, e.detail.throttled]),
        [
          ['192.0.2.1', 'client-a', 50, 0],
          ['192.0.2.1', 'client-b', 1, 0],
          ['198.51.100.2', 'client-a', 2, 1],
        ],
      );
      const [first] = written;
      assert.deepEqual(first, {
        id: first?.id,
        at: t0 + 490,
        actor: '192.0.2.1',
        action: 'client.authentication_failed',
        targetType: 'application',
        targetId: 'client-a',
        detail: {
          count: 50,
          throttled: 0,
          source_ip: '192.0.2.1',
          first_at: new Date(t0).toISOString(),
          last_at: new Date(t0 + 490).toISOString(),
        },
      });

      // Nothing more to write: no second event, no I/O.
      await counter.flush();
      assert.deepEqual(calls, ['insertAuditEvents']);
      assert.equal((await events()).length, 3);

      // The next window starts from zero.
      clock.advance(1000);
      counter.note('client-a', '192.0.2.1');
      await counter.flush();
      const latest = await events();
      assert.equal(latest.length, 4);
      assert.equal(latest[0]?.detail.count, 1);
      assert.deepEqual(errors, []);
    });

    it('writes a window with more distinct pairs than one statement can bind', async () => {
      const counter = failures(store);
      const total = PAIRS_PER_MINUTE;
      for (let i = 0; i < total; i++) counter.note(`client-${i}`, `10.0.${Math.floor(i / 250)}.${i % 250}`);
      await counter.flush();
      assert.deepEqual(errors, []);
      let count = 0;
      let after: string | undefined;
      for (;;) {
        const page = await store.listAuditEvents(
          { action: 'client.authentication_failed' },
          { limit: 1000, after },
        );
        if (page.length === 0) break;
        count += page.length;
        after = page.at(-1)?.id;
      }
      assert.equal(count, total);
    });

    it('writes a client_id with control characters, NUL and any length safely: printable and bounded', async () => {
      const counter = failures(store);
      const hostile = `evil\u0000id\n\r\tinjected\u001b[31m\u007f${'x'.repeat(500)}`;
      counter.note(hostile, '192.0.2.7');
      counter.note('\u0000', '192.0.2.7');
      counter.note('ordinary', '192.0.2.7');
      await counter.flush();
      assert.deepEqual(errors, []);
      const written = await events();
      assert.equal(written.length, 3, 'no event was lost');
      for (const event of written) {
        assert.ok(!hasControl(event.targetId ?? ''), event.targetId ?? '');
        assert.ok((event.targetId ?? '').length <= 64, `target id of ${event.targetId?.length} characters`);
      }
      assert.ok(written.some((e) => e.targetId?.startsWith('evil?id')));
      assert.ok(written.some((e) => e.targetId === 'ordinary'));
    });

    it('writes a source address of any content or length safely, without losing the window’s other events', async () => {
      const counter = failures(store);
      counter.note('client', `a${'1'.repeat(300)}`);
      counter.note('client', '192.0.2.8\u001b[2J\u0000');
      counter.note('client', '192.0.2.9');
      await counter.flush();
      const written = await events();
      assert.equal(written.length, 3, 'no event was lost');
      for (const event of written) {
        assert.ok(!hasControl(event.actor), event.actor);
        assert.ok(event.actor.length <= 45, `${event.actor.length} characters`);
        assert.equal(event.detail.source_ip, event.actor, 'the detail keeps no more than the actor');
      }
    });

    it('stop() writes what is left; start() is idempotent', async () => {
      const counter = failures(store);
      counter.start();
      counter.start();
      counter.note('client', '192.0.2.1');
      await counter.stop();
      assert.equal((await events()).length, 1);
      await counter.stop();
      assert.equal((await events()).length, 1);
    });
  });
}

/** A store that keeps what FailedAuthentications writes in memory: the bound, apart from any database limit. */
function recordingStore(): { store: Store; written: AuditEvent[] } {
  const written: AuditEvent[] = [];
  const store = {
    insertAuditEvents: async (events: readonly AuditEvent[]) => {
      written.push(...events);
    },
  } as unknown as Store;
  return { store, written };
}

describe('FailedAuthentications bound', () => {
  it(`gives at most ${PAIRS_PER_MINUTE} distinct pairs a minute an event of their own, and counts every failure`, async () => {
    const { store, written } = recordingStore();
    const clock = new FakeClock(Date.UTC(2026, 0, 1, 12, 0, 0));
    const counter = new FailedAuthentications(store, clock, (error) => assert.fail(String(error)));
    const noteMany = (from: number, n: number) => {
      for (let i = from; i < from + n; i++) counter.note(`client-${i}`, `10.0.${i >> 8}.${i & 255}`);
    };
    // 3,000 new pairs in the first flush of the minute, 3,000 more in the next: one overflow event each.
    noteMany(0, 3000);
    await counter.flush();
    assert.equal(written.length, PAIRS_PER_MINUTE + 1, `${written.length} events`);
    clock.advance(5_000);
    noteMany(3000, 3000);
    await counter.flush();
    assert.equal(written.length, PAIRS_PER_MINUTE + 2, 'the minute’s budget is spent: one overflow event');
    const overflow = written.filter((e) => e.targetId === '*');
    assert.deepEqual(
      overflow.map((e) => [e.actor, e.detail.source_ip, e.detail.count]),
      [
        ['*', '*', 2000],
        ['*', '*', 3000],
      ],
    );
    assert.equal(
      written.reduce((sum, e) => sum + Number(e.detail.count), 0),
      6000,
      'every failure is counted in some event',
    );
    // The next minute has a budget of its own.
    clock.advance(60_000);
    noteMany(6000, 10);
    await counter.flush();
    assert.equal(written.length, PAIRS_PER_MINUTE + 12);
  });

  it('a pair already counted keeps its own count once the budget is spent', async () => {
    const { store, written } = recordingStore();
    const counter = new FailedAuthentications(store, new FakeClock(), (error) => assert.fail(String(error)));
    counter.note('target', '203.0.113.9');
    for (let i = 0; i < PAIRS_PER_MINUTE + 500; i++) counter.note(`noise-${i}`, `10.1.${i >> 8}.${i & 255}`);
    for (let i = 0; i < 9; i++) counter.note('target', '203.0.113.9');
    await counter.flush();
    assert.deepEqual(
      written.filter((e) => e.targetId === 'target').map((e) => [e.actor, e.detail.count]),
      [['203.0.113.9', 10]],
    );
  });

  it('writes the events of its kind: failed admin authentications apart from client ones', async () => {
    const { store, written } = recordingStore();
    const counter = new FailedAuthentications(
      store,
      new FakeClock(),
      (error) => assert.fail(String(error)),
      ADMIN_AUTHENTICATION_FAILED,
    );
    counter.note('admin-api', '203.0.113.9', true);
    await counter.flush();
    assert.deepEqual(
      written.map((e) => [e.action, e.targetType, e.targetId, e.actor, e.detail.throttled]),
      [['admin.authentication_failed', 'admin_api', 'admin-api', '203.0.113.9', 1]],
    );
  });
});
