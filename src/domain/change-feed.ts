/** What changed, so that caches drop exactly what went stale. */
export type Change =
  | { readonly entity: 'application'; readonly id: string }
  | { readonly entity: 'customer'; readonly id: string }
  | { readonly entity: 'signing_key' }
  /** Another process wrote to the store; anything may have changed. */
  | { readonly entity: 'anything' };

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
