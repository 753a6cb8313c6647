import type { Page } from './page.js';

/** One entry of the audit log. */
export interface AuditEvent {
  readonly id: string;
  readonly at: number;
  /** Who acted: `cli:<user>`, `admin-api`, or a source address for failed authentications. */
  readonly actor: string;
  /** What was done, e.g. `application.create`, `client.authentication_failed`. */
  readonly action: string;
  readonly targetType: string;
  readonly targetId: string | null;
  /** Before and after (never a secret or a digest), or counts. */
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface AuditFilter {
  readonly action?: string | undefined;
  readonly actor?: string | undefined;
  readonly targetId?: string | undefined;
  /** Inclusive lower bound on `at`, ms. */
  readonly since?: number | undefined;
  /** Exclusive upper bound on `at`, ms. */
  readonly until?: number | undefined;
}

/** What an audit event about a deleted application or customer says in place of its detail. */
export const ERASED_DETAIL: Readonly<Record<string, unknown>> = Object.freeze({ erased: true });

/** Where the audit log is kept (failed authentications too: counted, then written as events). */
export interface AuditStore {
  insertAuditEvents(events: readonly AuditEvent[]): Promise<void>;
  /** Events matching the filter, newest first; `page.after` is the id of the last event seen. */
  listAuditEvents(filter: AuditFilter, page: Page): Promise<AuditEvent[]>;
  /** Deletes at most `limit` events older than `before` (ms), oldest first; returns how many. */
  purgeAuditEvents(before: number, limit: number): Promise<number>;
}
