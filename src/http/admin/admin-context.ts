import type { Applications } from '../../domain/applications.js';
import type { AuditEvent, AuditFilter } from '../../domain/audit-event.js';
import type { Customers } from '../../domain/customers.js';
import type { Deletions } from '../../domain/deletions.js';
import type { Page } from '../../domain/page.js';
import type { SigningKeys } from '../../domain/signing-keys.js';
import type { AdminFailures } from './admin-auth.js';

/** What the admin routes share: the services they call, and who the audit log says acted. */

/** Who the audit log names for changes made through the admin API. */
export const ADMIN_ACTOR = 'admin-api';

export interface AdminOptions {
  readonly adminToken: string;
  /** The deployment's issuer, for the servers of /openapi.json. */
  readonly issuer: string;
  /** Where wrong admin tokens are counted (throttle, audit log). */
  readonly failures: AdminFailures;
  readonly applications: Applications;
  readonly customers: Customers;
  readonly deletions: Deletions;
  readonly keys: SigningKeys;
  readonly listAudit: (filter: AuditFilter, page: Page) => Promise<AuditEvent[]>;
}

/** For operations whose body is optional: no body at all counts as `{}`. */
export async function emptyBodyIsEmptyObject(request: { body: unknown }): Promise<void> {
  request.body ??= {};
}
