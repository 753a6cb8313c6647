import type { Store } from '../store/store.js';
import { CachedLookup, unavailableOnError } from './cached-lookup.js';
import type { ChangeFeed } from './change-feed.js';
import type { Clock } from './clock.js';
import type { TokenClass } from './token-class.js';

/** What the token endpoint needs to know about a client, resolved once and cached. */
export interface Client {
  readonly clientId: string;
  readonly active: boolean;
  readonly tokenClasses: ReadonlySet<TokenClass>;
  /** Lifetimes in seconds, per-application overrides already applied. */
  readonly lifetimes: Readonly<Record<TokenClass, number>>;
  readonly secrets: readonly { readonly digest: Buffer; readonly expiresAt: number | null }[];
  /** May introspect every application's tokens. */
  readonly resourceServer: boolean;
}

export interface DirectoryOptions {
  readonly defaultLifetimes: Readonly<Record<TokenClass, number>>;
  readonly maxEntries?: number;
}

/** Clients by client_id, cached in memory so that authenticating a token request needs no query. */
export class ClientDirectory {
  private readonly cache: CachedLookup<Client>;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly feed: ChangeFeed,
    private readonly options: DirectoryOptions,
  ) {
    this.cache = new CachedLookup((clientId) => this.load(clientId), options.maxEntries ?? 100_000);
    feed.subscribe((change) => {
      if (change.entity === 'application') this.cache.delete(change.id);
      else if (change.entity === 'anything') this.cache.clear();
    });
  }

  /** The client, or null when no application has this client_id. */
  find(clientId: string): Promise<Client | null> {
    this.feed.assertFresh();
    return this.cache.get(clientId);
  }

  private async load(clientId: string): Promise<Client | null> {
    const [application, secrets] = await unavailableOnError(() =>
      Promise.all([
        this.store.findApplication(clientId),
        this.store.listLiveSecrets(clientId, this.clock.now()),
      ]),
    );
    if (!application) return null;
    const defaults = this.options.defaultLifetimes;
    return {
      clientId,
      active: application.status === 'active',
      tokenClasses: new Set(application.tokenClasses),
      lifetimes: {
        api: application.apiTokenTtl ?? defaults.api,
        customer: application.customerTokenTtl ?? defaults.customer,
      },
      secrets: secrets.map((s) => ({ digest: Buffer.from(s.digest, 'hex'), expiresAt: s.expiresAt })),
      resourceServer: application.resourceServer,
    };
  }
}
