import { CachedLookup, unavailableOnError } from './cached-lookup.js';
import type { ChangeFeed } from './change-feed.js';
import type { Customer, CustomerStore } from './customer.js';
import type { Eventually } from './eventually.js';

/** Customers by customer_id, cached in memory for the scope check of customer tokens. */
export class CustomerDirectory {
  private readonly cache: CachedLookup<Customer>;

  constructor(
    store: CustomerStore,
    private readonly feed: ChangeFeed,
    maxEntries = 100_000,
  ) {
    this.cache = new CachedLookup(
      async (id) => (await unavailableOnError(() => store.findCustomer(id))) ?? null,
      maxEntries,
    );
    feed.subscribe((change) => {
      if (change.entity === 'customer') this.cache.delete(change.id);
      // A deleted application takes its customers along: none of them may be answered from here.
      else if (change.entity === 'application') this.cache.deleteWhere((c) => c.clientId === change.id);
      else if (change.entity === 'anything') this.cache.clear();
    });
  }

  /** The customer, or null when there is none with this id. */
  find(customerId: string): Eventually<Customer | null> {
    this.feed.assertFresh();
    return this.cache.get(customerId);
  }
}
