import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Applications } from '../../src/domain/applications.js';
import type { AuditEvent } from '../../src/domain/audit-event.js';
import { AuditTrail } from '../../src/domain/audit-trail.js';
import { type Change, ChangeFeed } from '../../src/domain/change-feed.js';
import { Customers } from '../../src/domain/customers.js';
import { DomainError, type DomainErrorCode } from '../../src/domain/domain-error.js';
import type { Store } from '../../src/domain/store.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { FakeClock } from './fake-clock.js';
import { tempDir } from './test-server.js';

/** The domain services over a fresh SQLite store and a fake clock, as the server wires them. */
export interface DomainFixture {
  readonly store: Store;
  /** The SQLite file, for looking at what is really stored. */
  readonly dbPath: string;
  readonly dir: string;
  readonly clock: FakeClock;
  readonly feed: ChangeFeed;
  /** Every change published on the feed, in order. */
  readonly changes: Change[];
  readonly audit: AuditTrail;
  readonly applications: Applications;
  readonly customers: Customers;
  /** Every audit event, newest first. */
  auditEvents(): Promise<AuditEvent[]>;
  close(): Promise<void>;
}

export async function openDomain(options: { secretGraceSeconds?: number } = {}): Promise<DomainFixture> {
  const temp = tempDir();
  const dbPath = join(temp.dir, 'domain.db');
  const store = openSqliteStore(dbPath);
  await store.migrate();
  const clock = new FakeClock();
  const feed = new ChangeFeed();
  const changes: Change[] = [];
  feed.subscribe((change) => changes.push(change));
  const audit = new AuditTrail(clock);
  const applications = new Applications(store, clock, feed, audit, options.secretGraceSeconds ?? 86_400);
  return {
    store,
    dbPath,
    dir: temp.dir,
    clock,
    feed,
    changes,
    audit,
    applications,
    customers: new Customers(store, applications, clock, feed, audit),
    auditEvents: () => store.listAuditEvents({}, { limit: 1000 }),
    async close() {
      await store.close();
      temp.remove();
    },
  };
}

/** Fails unless `promise` rejects with a DomainError of `code` (and a message matching `message`). */
export async function domainError(
  promise: Promise<unknown>,
  code: DomainErrorCode,
  message?: RegExp,
): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DomainError, `expected DomainError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return error;
  }
  assert.fail(`expected DomainError '${code}', but the call succeeded`);
}
