import type { ClientAuthentication } from './client-auth-method.js';
import type { Page } from './page.js';
import type { Status } from './status.js';
import type { TokenClass } from './token-class.js';

/** An OAuth client: what it may ask for, and for how long its tokens live. */
export interface Application extends ClientAuthentication {
  readonly clientId: string;
  readonly name: string;
  readonly status: Status;
  readonly tokenClasses: readonly TokenClass[];
  /** Per-application lifetimes in seconds; null means the configured default. */
  readonly apiTokenTtl: number | null;
  readonly customerTokenTtl: number | null;
  /** May introspect any application's tokens, not only its own. */
  readonly resourceServer: boolean;
  /** Every token request must carry a DPoP proof, so every token is key-bound (RFC 9449 §5.2). */
  readonly dpopBoundAccessTokens: boolean;
  /** Tokens are bound to the TLS client certificate of the request (RFC 8705 §3), which it must present. */
  readonly certificateBoundAccessTokens: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A client secret as kept: its digest, never the secret. */
export interface ClientSecret {
  readonly id: string;
  readonly clientId: string;
  /** Hex SHA-256 of the secret; the secret itself is never stored. */
  readonly digest: string;
  readonly createdAt: number;
  /** When a rotated-out secret stops working; null while it is the current one. */
  readonly expiresAt: number | null;
}

/** An application with the secrets that still work, as a full load of the client directory reads them. */
export interface ApplicationWithSecrets {
  readonly application: Application;
  /** Newest first, as listLiveSecrets lists them. */
  readonly secrets: readonly ClientSecret[];
}

export type ApplicationPatch = Partial<
  Pick<
    Application,
    | 'name'
    | 'status'
    | 'tokenClasses'
    | 'apiTokenTtl'
    | 'customerTokenTtl'
    | 'resourceServer'
    | 'dpopBoundAccessTokens'
    | 'certificateBoundAccessTokens'
    | keyof ClientAuthentication
  >
>;

/** Where applications and their secrets are kept. Times are milliseconds since the epoch. */
export interface ApplicationStore {
  /** Throws StoreConflictError for an id that was deleted (see DeletionStore). */
  insertApplication(application: Application, secret: ClientSecret): Promise<void>;
  findApplication(clientId: string): Promise<Application | undefined>;
  listApplications(page: Page): Promise<Application[]>;
  countApplications(): Promise<number>;
  /** Applies the patch and returns the new record, or undefined for an unknown client. */
  updateApplication(
    clientId: string,
    patch: ApplicationPatch,
    updatedAt: number,
  ): Promise<Application | undefined>;
  /** The longest per-application token lifetime override in seconds, or null when none is set. */
  longestTokenTtlOverride(): Promise<number | null>;
  /** Secrets that still work at `now`, newest first. */
  listLiveSecrets(clientId: string, now: number): Promise<ClientSecret[]>;
  /**
   * A page of applications ordered by client_id (keyset pagination, as listApplications), each with
   * its secrets live at `now`, newest first: how the client directory loads every application.
   */
  listApplicationsWithLiveSecrets(now: number, page: Page): Promise<ApplicationWithSecrets[]>;
  /**
   * Makes `secret` the application's current secret, in one transaction: the current one stays
   * live until `previousExpiresAt` (deleted when that is not after `now`), and any older secret is
   * deleted, so never more than two are live. Returns false for an unknown application.
   */
  rotateSecret(secret: ClientSecret, change: { now: number; previousExpiresAt: number }): Promise<boolean>;
}
