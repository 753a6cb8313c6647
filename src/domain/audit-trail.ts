import { randomUUID } from 'node:crypto';
import type { AuditEvent, AuditFilter } from './audit-event.js';
import type { Clock } from './clock.js';
import type { Store } from './store.js';

export type AuditEntry = Omit<AuditEvent, 'id' | 'at'>;

/** The audit log: who changed what, and when. */
export class AuditTrail {
  constructor(private readonly clock: Clock) {}

  /** Records `entry` through `store`: pass the transaction of the change, so both land or neither. */
  record(store: Store, entry: AuditEntry): Promise<void> {
    return store.insertAuditEvents([{ id: randomUUID(), at: this.clock.now(), ...entry }]);
  }

  /** Events newest first. */
  list(
    store: Store,
    filter: AuditFilter,
    page: { limit: number; after?: string | undefined },
  ): Promise<AuditEvent[]> {
    return store.listAuditEvents(filter, page);
  }
}
