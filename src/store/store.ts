import type { TokenClass } from '../domain/token-class.js';

export type Status = 'active' | 'disabled';

/** What a write changed, as told to the caches of every process. */
export type StoreChange =
  | { readonly entity: 'application'; readonly id: string }
  | { readonly entity: 'customer'; readonly id: string }
  | { readonly entity: 'signing_key' }
  /** Anything may have changed (another process wrote, or change notices may have been missed). */
  | { readonly entity: 'anything' };

export interface ApplicationRow {
  readonly clientId: string;
  readonly name: string;
  readonly status: Status;
  readonly tokenClasses: readonly TokenClass[];
  /** Per-application lifetimes in seconds; null means the configured default. */
  readonly apiTokenTtl: number | null;
  readonly customerTokenTtl: number | null;
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

export interface CustomerRow {
  readonly customerId: string;
  readonly clientId: string;
  readonly appUserId: string;
  readonly status: Status;
  readonly createdAt: number;
}

export type SigningKeyStatus = 'active' | 'retired';

export interface SigningKeyRow {
  readonly kid: string;
  readonly alg: string;
  readonly status: SigningKeyStatus;
  /** The public JWK as JSON. */
  readonly publicJwk: string;
  /** The PKCS#8 private key, sealed with the key encryption key. */
  readonly sealedPrivateKey: string;
  readonly createdAt: number;
  readonly retiredAt: number | null;
  /** When a retired key may leave the JWKS: no token it signed is valid after this. */
  readonly expiresAt: number | null;
}

export type ApplicationPatch = Partial<
  Pick<ApplicationRow, 'name' | 'status' | 'tokenClasses' | 'apiTokenTtl' | 'customerTokenTtl'>
>;

export interface Page {
  readonly limit: number;
  /** Return rows whose id sorts after this one (keyset pagination). */
  readonly after?: string | undefined;
}

/** A write broke a uniqueness rule (a duplicate app_user_id, a second active key). */
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

  /** Throws StoreConflictError when the application already has a customer with this app_user_id. */
  insertCustomer(customer: CustomerRow): Promise<void>;
  findCustomer(customerId: string): Promise<CustomerRow | undefined>;
  listCustomers(clientId: string, page: Page): Promise<CustomerRow[]>;
  setCustomerStatus(customerId: string, status: Status): Promise<CustomerRow | undefined>;

  /** Every key still published (active and retired), newest first. */
  listSigningKeys(): Promise<SigningKeyRow[]>;
  /**
   * Makes `key` the active key in one transaction: the current active key, if any, becomes retired
   * until `retiredUntil`, and retired keys whose time is over at `now` are deleted. With
   * `expectedActiveKid`, throws StoreConflictError when another process rotated first.
   */
  activateSigningKey(
    key: SigningKeyRow,
    change: { now: number; retiredUntil: number; expectedActiveKid: string | null },
  ): Promise<void>;
}
