import type { ApplicationStore } from './application.js';
import type { AuditStore } from './audit-event.js';
import type { Customer, CustomerStore } from './customer.js';
import type { OperatorStore } from './operators/operator-store.js';
import type { RevocationStore } from './revoked-token.js';
import type { SigningKeyStore } from './signing-key.js';

/** What a write changed, as told to the caches of every process. */
export type StoreChange =
  | { readonly entity: 'application'; readonly id: string }
  | { readonly entity: 'customer'; readonly id: string }
  | { readonly entity: 'signing_key' }
  /** Anything may have changed (another process wrote, or notices were missed); in step again now. */
  | { readonly entity: 'anything' }
  /** The change notices stopped arriving (the database is out of reach): caches may go stale. */
  | { readonly entity: 'lost' };

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

/** Deleting applications and customers for good: only their ids stay, as tombstones. */
export interface DeletionStore {
  /**
   * Deletes the application with its secrets and customers, in one transaction: each id leaves a
   * tombstone, and the audit events about them keep who did what when, but their detail (names,
   * app_user_ids) becomes ERASED_DETAIL. Returns how many customers went, or undefined for an
   * unknown application.
   */
  deleteApplication(clientId: string, deletedAt: number): Promise<{ customers: number } | undefined>;
  /** Deletes one customer as deleteApplication does; returns the deleted record, or undefined. */
  deleteCustomer(customerId: string, deletedAt: number): Promise<Customer | undefined>;
  /**
   * Whether an application or customer with this id was deleted. insertApplication and
   * insertCustomer refuse such an id with StoreConflictError: a deleted id is never used again.
   */
  wasDeleted(id: string): Promise<boolean>;
}

/** The secrets a sandbox makes for itself (key encryption key, admin token) when none is configured. */
export interface SandboxSecretStore {
  /**
   * The stored value for `name`, or else `generate()`'s, stored now (`created`). Of several
   * processes asking at once, one stores and all get its value.
   */
  sandboxSecret(name: string, generate: () => string): Promise<{ value: string; created: boolean }>;
}

/**
 * Everything lean-auth keeps: the stores of each domain, joined with what spans them. One
 * interface for every backend, held to one contract suite per domain (test/store/). Times are
 * milliseconds since the epoch.
 */
export interface Store
  extends ApplicationStore,
    CustomerStore,
    SigningKeyStore,
    RevocationStore,
    AuditStore,
    DeletionStore,
    SandboxSecretStore {
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
  watch(listener: (change: StoreChange) => void): () => void;
  /**
   * Runs `work` in one transaction over a store bound to it: every write in it, and the change
   * notices, land together or not at all. `work` must use only the store it is given.
   */
  transaction<T>(work: (store: Store) => Promise<T>): Promise<T>;
}
