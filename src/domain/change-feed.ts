import type { StoreChange } from '../store/store.js';

/** What changed, so that caches drop exactly what went stale. */
export type Change = StoreChange;

/** Tells the caches of this process about changes made here or seen in the store. */
export class ChangeFeed {
  private readonly listeners = new Set<(change: Change) => void>();

  subscribe(listener: (change: Change) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(change: Change): void {
    for (const listener of this.listeners) listener(change);
  }
}
