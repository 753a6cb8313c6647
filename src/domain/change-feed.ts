import type { Clock } from './clock.js';
import { DomainError } from './domain-error.js';
import type { StoreChange } from './store.js';

/** What changed, so that caches drop exactly what went stale. */
export type Change = StoreChange;

/**
 * Tells the caches of this process about changes made here or seen in the store, and knows how
 * long the caches may be trusted when the store's notices stop (CACHE_STALE_TTL).
 */
export class ChangeFeed {
  private readonly listeners = new Set<(change: Change) => void>();
  private lostSince: number | null = null;

  constructor(private readonly staleness?: { readonly clock: Clock; readonly staleTtlMs: number }) {}

  /** Throws DomainError 'unavailable' once notices have been missing for longer than the stale TTL. */
  assertFresh(): void {
    if (this.lostSince === null || !this.staleness) return;
    if (this.staleness.clock.now() - this.lostSince > this.staleness.staleTtlMs) {
      throw new DomainError(
        'unavailable',
        'the database has been out of reach too long to trust cached data',
      );
    }
  }

  /** When the store's notices stopped arriving, or null while they arrive. */
  get noticesLostSince(): number | null {
    return this.lostSince;
  }

  subscribe(listener: (change: Change) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(change: Change): void {
    if (change.entity === 'lost') this.lostSince ??= this.staleness?.clock.now() ?? Date.now();
    if (change.entity === 'anything') this.lostSince = null;
    for (const listener of this.listeners) listener(change);
  }
}
