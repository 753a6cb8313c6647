import type { Config } from '../config/config.js';
import { Applications } from '../domain/applications.js';
import { ChangeFeed } from '../domain/change-feed.js';
import { ClientDirectory } from '../domain/client-directory.js';
import { type Clock, systemClock } from '../domain/clock.js';
import { CustomerDirectory } from '../domain/customer-directory.js';
import { Customers } from '../domain/customers.js';
import { SigningKeys } from '../domain/signing-keys.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { resolveKeyEncryptionKey } from './key-encryption-key.js';

export interface ServiceLogger {
  warn(message: string): void;
  error(object: object, message: string): void;
}

/** The domain over one store: what the server and every CLI command share. */
export interface Services {
  readonly config: Config;
  readonly store: Store;
  readonly clock: Clock;
  readonly applications: Applications;
  readonly customers: Customers;
  readonly keys: SigningKeys;
  readonly clientDirectory: ClientDirectory;
  readonly customerDirectory: CustomerDirectory;
  /**
   * Keeps the caches and the key ring in step with what other processes write (a long-running
   * server wants this; a one-shot CLI command does not).
   */
  followExternalChanges(): void;
  close(): Promise<void>;
}

/** Opens the store, migrates it, and wires the domain services and caches over it. */
export async function openServices(
  config: Config,
  logger: ServiceLogger,
  clock: Clock = systemClock,
): Promise<Services> {
  let keyEncryptionKey: Buffer | undefined;
  const store = await openStore(config.database);
  const feed = new ChangeFeed();
  const applications = new Applications(store, clock, feed);
  const keys = new SigningKeys(store, clock, feed, {
    alg: config.signingAlg,
    keyEncryptionKey: () => {
      keyEncryptionKey ??= resolveKeyEncryptionKey(config, (message) => logger.warn(message));
      return keyEncryptionKey;
    },
    longestTokenLifetime: async () =>
      Math.max(config.apiTokenTtl, config.customerTokenTtl, (await store.longestTokenTtlOverride()) ?? 0),
  });

  let stopWatching = () => {};

  return {
    config,
    store,
    clock,
    applications,
    customers: new Customers(store, applications, clock, feed),
    keys,
    clientDirectory: new ClientDirectory(store, clock, feed, {
      defaultLifetimes: { api: config.apiTokenTtl, customer: config.customerTokenTtl },
    }),
    customerDirectory: new CustomerDirectory(store, feed),
    followExternalChanges() {
      stopWatching();
      stopWatching = store.watchExternalChanges((change) => {
        feed.publish(change);
        if (change.entity === 'anything' || change.entity === 'signing_key') {
          keys
            .reload()
            .catch((error: unknown) => logger.error({ err: error }, 'reloading signing keys failed'));
        }
      });
    },
    async close() {
      stopWatching();
      await store.close();
    },
  };
}
