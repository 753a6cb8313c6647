import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AuditEvent } from '../../src/domain/audit-event.js';
import { AuditRetention, PURGE_BATCH } from '../../src/domain/audit-retention.js';
import type { Store } from '../../src/domain/store.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { tempDir } from '../helpers/test-server.js';

const DAY_MS = 86_400_000;

const event = (at: number): AuditEvent => ({
  id: randomUUID(),
  at,
  actor: '192.0.2.1',
  action: 'client.authentication_failed',
  targetType: 'application',
  targetId: randomUUID(),
  detail: { count: 1 },
});

describe('AuditRetention (AUDIT_RETENTION_DAYS)', () => {
  const temp = tempDir();
  let store: Store;
  const clock = new FakeClock();

  before(async () => {
    store = openSqliteStore(join(temp.dir, 'audit.db'));
    await store.migrate();
  });
  after(async () => {
    await store.close();
    temp.remove();
  });

  const count = async () => (await store.listAuditEvents({}, { limit: 100_000 })).length;

  it('deletes every event older than the retention, a batch at a time, and keeps the rest', async () => {
    const now = clock.now();
    const old = Array.from({ length: 2 * PURGE_BATCH + 7 }, (_, i) => event(now - 31 * DAY_MS - i));
    const kept = [event(now - 30 * DAY_MS + 1), event(now - DAY_MS), event(now)];
    for (let i = 0; i < old.length; i += 500) await store.insertAuditEvents(old.slice(i, i + 500));
    await store.insertAuditEvents(kept);

    const batches: number[] = [];
    const watched = new Proxy(store, {
      get: (target, property, receiver) =>
        property === 'purgeAuditEvents'
          ? async (before: number, limit: number) => {
              const deleted = await target.purgeAuditEvents(before, limit);
              batches.push(deleted);
              return deleted;
            }
          : Reflect.get(target, property, receiver),
    });
    const retention = new AuditRetention(watched, clock, 30, (error) => assert.fail(String(error)));
    assert.equal(await retention.purge(), old.length);
    assert.deepEqual(batches, [PURGE_BATCH, PURGE_BATCH, 7], 'in batches, until one is not full');
    assert.equal(await count(), kept.length);
    assert.equal(await retention.purge(), 0);
  });

  it('keeps everything with 0 days', async () => {
    await store.insertAuditEvents([event(clock.now() - 10_000 * DAY_MS)]);
    const retention = new AuditRetention(store, clock, 0, (error) => assert.fail(String(error)));
    const before = await count();
    assert.equal(await retention.purge(), 0);
    assert.equal(await count(), before);
  });
});
