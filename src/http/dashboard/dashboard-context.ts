import type { Applications } from '../../domain/applications.js';
import type { AuditEvent, AuditFilter } from '../../domain/audit-event.js';
import type { Clock } from '../../domain/clock.js';
import type { Customers } from '../../domain/customers.js';
import type { Deletions } from '../../domain/deletions.js';
import type { Operators } from '../../domain/operators/operators.js';
import type { TotpAttempts } from '../../domain/operators/totp-attempts.js';
import type { Page } from '../../domain/page.js';
import type { SigningKeys } from '../../domain/signing-keys.js';

/** What every dashboard page is given: the routes and the pages import it, not each other. */
export const DASHBOARD_PREFIX = '/dashboard';

/** Tokens issued per minute by class, and failed authentications, over the last hour. */
export interface ActivitySeries {
  readonly minutes: readonly string[];
  readonly api: readonly number[];
  readonly customer: readonly number[];
  readonly failed: readonly number[];
}

export interface DashboardOptions {
  readonly issuer: string;
  /** Production requires TOTP of admins. */
  readonly production: boolean;
  readonly clock: Clock;
  readonly sessionKey: () => Buffer;
  readonly operators: Operators;
  /** Where failed sign-ins are told: the seconds to wait (0: answer as usual). */
  readonly signInFailures: { record(subject: string, sourceIp: string): number };
  /** The limit on wrong TOTP codes per operator, which refuses even a right one past it. */
  readonly totpAttempts: Pick<TotpAttempts, 'refusal' | 'failed' | 'succeeded'>;
  readonly applications: Applications;
  readonly customers: Customers;
  readonly deletions: Deletions;
  readonly keys: SigningKeys;
  readonly listAudit: (filter: AuditFilter, page: Page) => Promise<AuditEvent[]>;
  readonly activity: () => ActivitySeries;
  /** Requests a token at this server's token endpoint, for Try it. */
  readonly requestToken: (
    form: URLSearchParams,
    sourceIp: string,
  ) => Promise<{ status: number; body: unknown }>;
}

/** Cookies are Secure when the dashboard is served over https. */
export function secure(options: DashboardOptions): boolean {
  return options.issuer.startsWith('https:');
}
