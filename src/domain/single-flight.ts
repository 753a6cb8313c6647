/**
 * Reads in flight, by key: concurrent reads of one key share one promise, and a read's result is
 * kept (by `keep`) only while nothing made it stale: `forget(key)` or `clear()` during the read
 * lets its callers have the value but keeps none of it. The one read-through of the domain's caches.
 */
export class SingleFlight<V> {
  private readonly flights = new Map<string, Promise<V>>();

  /** The read in flight for `key`, or `read()` started now; `keep(value)` runs if still current. */
  run(key: string, read: () => Promise<V>, keep: (value: V) => void): Promise<V> {
    const inFlight = this.flights.get(key);
    if (inFlight !== undefined) return inFlight;
    const promise = read().then(
      (value) => {
        if (this.flights.get(key) === promise) {
          this.flights.delete(key);
          keep(value);
        }
        return value;
      },
      (error: unknown) => {
        if (this.flights.get(key) === promise) this.flights.delete(key);
        throw error;
      },
    );
    this.flights.set(key, promise);
    return promise;
  }

  /** The read of `key` in flight will not be kept, and the next run of `key` reads anew. */
  forget(key: string): void {
    this.flights.delete(key);
  }

  /** As forget(), for every key. */
  clear(): void {
    this.flights.clear();
  }
}
