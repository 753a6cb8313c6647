import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { AuditEvent } from '../../src/domain/audit-event.js';
import type { Store } from '../../src/domain/store.js';
import { storeContract } from './contract/backends.js';
import { auditEvent, newestFirst, T0 } from './contract/fixtures.js';

/** AuditStore. Run over every backend (contract/backends.ts). */
storeContract('audit events', ({ withStore }) => {
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
        assert.deepEqual(await list({ actor: 'cli:alice', action: 'application.update' }), [otherUpdate.id]);
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
        const rest = await store.listAuditEvents({ actor: 'paged' }, { limit: 100, after: first.at(-1)?.id });
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
});
