import type { OperatorStore } from '../domain/operators/operator-store.js';
import type { TokenClass } from '../domain/token-class.js';

export type Status = 'active' | 'disabled';

/** What a write changed, as told to the caches of every process. */
export type StoreChange =
  | { readonly entity: 'application'; readonly id: string }
  | { readonly entity: 'customer'; readonly id: string }
  | { readonly entity: 'signing_key' }
  /** Anything may have changed (another process wrote, or notices were missed); in step again now. */
  | { readonly entity: 'anything' }
  /** The change notices stopped arriving (the database is out of reach): caches may go stale. */
  | { readonly entity: 'lost' };

export interface ApplicationRow {
  readonly clientId: string;
  readonly name: string;
  readonly status: Status;
  readonly tokenClasses: readonly TokenClass[];
  /** Per-application lifetimes in seconds; null means the configured default. */
  readonly apiTokenTtl: number | null;
  readonly customerTokenTtl: number | null;
  /** May introspect any application's tokens, not only its own. */
  readonly resourceServer: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface SecretRow {
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
  readonly application: ApplicationRow;
  /** Newest first, as listLiveSecrets lists them. */
  readonly secrets: readonly SecretRow[];
}

export interface CustomerRow {
  readonly customerId: string;
  readonly clientId: string;
  readonly appUserId: string;
  readonly status: Status;
  readonly createdAt: number;
}

export interface SigningKeyRow {
  readonly kid: string;
  readonly alg: string;
  /** The public JWK as JSON. */
  readonly publicJwk: string;
  /** The PKCS#8 private key, sealed with the key encryption key. */
  readonly sealedPrivateKey: string;
  readonly createdAt: number;
  /** From this time on the key signs (until a later-created key activates). */
  readonly activatesAt: number;
  /**
   * The kid of the key this one follows, '' for the first; one key can follow each. A withdrawn
   * key follows none: WITHDRAWN_PREFIX and its own kid.
   */
  readonly rotatedFrom: string;
  /** When the key may leave the JWKS: no token it signed is valid after this. Null while current. */
  readonly expiresAt: number | null;
}

export interface RevokedToken {
  readonly jti: string;
  readonly clientId: string;
  readonly revokedAt: number;
  /** The token's own exp, in ms: the record is useless, and purged, after it. */
  readonly expiresAt: number;
}

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

export type ApplicationPatch = Partial<
  Pick<
    ApplicationRow,
    'name' | 'status' | 'tokenClasses' | 'apiTokenTtl' | 'customerTokenTtl' | 'resourceServer'
  >
>;

export interface Page {
  readonly limit: number;
  /** Return rows whose id sorts after this one (keyset pagination). */
  readonly after?: string | undefined;
}

/** How a withdrawn signing key's rotatedFrom begins (see withdrawSigningKey). */
export const WITHDRAWN_PREFIX = 'withdrawn:';

/** What an audit event about a deleted application or customer says in place of its detail. */
export const ERASED_DETAIL: Readonly<Record<string, unknown>> = Object.freeze({ erased: true });

/**
 * A write broke a uniqueness rule (a duplicate app_user_id, a rotation another process made first,
 * an id that was deleted).
 */
export class StoreConflictError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StoreConflictError';
  }
}

/**
 * Everything lean-auth keeps. One interface for every backend, held to one contract suite
 * (test/store/store-contract.ts). Times are milliseconds since the epoch.
 */
export interface Store {
  /** The dashboard's operators (bound to the transaction inside `transaction`). */
  readonly operators: OperatorStore;
  /** Brings the schema up to date; safe to call from several processes at once. */
  migrate(): Promise<void>;
  /** Resolves when the database answers; rejects when it does not. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /**
   * Calls the listener when another process (or connection) changed the data, so caches can drop
   * what went stale. Returns a function that stops watching.
   */
  watchExternalChanges(listener: (change: StoreChange) => void): () => void;

  insertApplication(application: ApplicationRow, secret: SecretRow): Promise<void>;
  findApplication(clientId: string): Promise<ApplicationRow | undefined>;
  listApplications(page: Page): Promise<ApplicationRow[]>;
  countApplications(): Promise<number>;
  /** Applies the patch and returns the new row, or undefined for an unknown client. */
  updateApplication(
    clientId: string,
    patch: ApplicationPatch,
    updatedAt: number,
  ): Promise<ApplicationRow | undefined>;
  /** The longest per-application token lifetime override in seconds, or null when none is set. */
  longestTokenTtlOverride(): Promise<number | null>;
  /** Secrets that still work at `now`, newest first. */
  listLiveSecrets(clientId: string, now: number): Promise<SecretRow[]>;
  /**
   * A page of applications ordered by client_id (keyset pagination, as listApplications), each with
   * its secrets live at `now`, newest first: how the client directory loads every application.
   */
  listApplicationsWithLiveSecrets(now: number, page: Page): Promise<ApplicationWithSecrets[]>;

  /** Throws StoreConflictError when the application already has a customer with this app_user_id. */
  insertCustomer(customer: CustomerRow): Promise<void>;
  findCustomer(customerId: string): Promise<CustomerRow | undefined>;
  listCustomers(clientId: string, page: Page): Promise<CustomerRow[]>;
  setCustomerStatus(customerId: string, status: Status): Promise<CustomerRow | undefined>;

  /**
   * Deletes the application with its secrets and customers, in one transaction: each id leaves a
   * tombstone, and the audit events about them keep who did what when, but their detail (names,
   * app_user_ids) becomes ERASED_DETAIL. Returns how many customers went, or undefined for an
   * unknown application.
   */
  deleteApplication(clientId: string, deletedAt: number): Promise<{ customers: number } | undefined>;
  /** Deletes one customer as deleteApplication does; returns the deleted row, or undefined. */
  deleteCustomer(customerId: string, deletedAt: number): Promise<CustomerRow | undefined>;
  /**
   * Whether an application or customer with this id was deleted. insertApplication and
   * insertCustomer refuse such an id with StoreConflictError: a deleted id is never used again.
   */
  wasDeleted(id: string): Promise<boolean>;

  /** Every key still in the store, most recently created first. */
  listSigningKeys(): Promise<SigningKeyRow[]>;
  /**
   * Adds `key` after the key it was rotated from, in one transaction: that key gets
   * `previousExpiresAt` (unless it already expires sooner), and keys whose expiry is over at `now`
   * are deleted. Throws
   * StoreConflictError when another key already follows the same one (another process rotated).
   */
  addSigningKey(key: SigningKeyRow, change: { now: number; previousExpiresAt: number | null }): Promise<void>;
  /**
   * Takes a key out of the JWKS at once (its expiry becomes `now`), for a key that is compromised,
   * and out of the chain of rotations: the key that followed it follows its predecessor instead.
   * Returns false when no key with this kid is published at `now`.
   */
  withdrawSigningKey(kid: string, now: number): Promise<boolean>;

  /**
   * Makes `secret` the application's current secret, in one transaction: the current one stays
   * live until `previousExpiresAt` (deleted when that is not after `now`), and any older secret is
   * deleted, so never more than two are live. Returns false for an unknown application.
   */
  rotateSecret(secret: SecretRow, change: { now: number; previousExpiresAt: number }): Promise<boolean>;

  /** Records a revoked token; revoking one twice keeps the first record. */
  revokeToken(token: RevokedToken): Promise<void>;
  isTokenRevoked(jti: string): Promise<boolean>;
  /** Deletes revocation records of tokens expired at `now`; returns how many. */
  purgeRevokedTokens(now: number): Promise<number>;

  insertAuditEvents(events: readonly AuditEvent[]): Promise<void>;
  /** Events matching the filter, newest first; `page.after` is the id of the last event seen. */
  listAuditEvents(filter: AuditFilter, page: Page): Promise<AuditEvent[]>;
  /** Deletes at most `limit` events older than `before` (ms), oldest first; returns how many. */
  purgeAuditEvents(before: number, limit: number): Promise<number>;

  /**
   * A secret a sandbox made for itself, by name: the stored value, or else `generate()`'s, stored
   * now (`created`). Of several processes asking at once, one stores and all get its value.
   */
  sandboxSecret(name: string, generate: () => string): Promise<{ value: string; created: boolean }>;

  /**
   * Runs `work` in one transaction over a store bound to it: every write in it, and the change
   * notices, land together or not at all. `work` must use only the store it is given.
   */
  transaction<T>(work: (store: Store) => Promise<T>): Promise<T>;
}
