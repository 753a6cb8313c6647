import { DomainError } from './domain-error.js';
import type { Eventually } from './eventually.js';
import { SingleFlight } from './single-flight.js';

/** Runs a store read; a failure means the database is out of reach, which callers answer with 503. */
export async function unavailableOnError<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw Object.assign(new DomainError('unavailable', 'the database is out of reach'), { cause: error });
  }
}

/**
 * A bounded read-through cache. It remembers misses too (as `null`), so that requests naming
 * unknown ids cannot turn into one database query each; the oldest entries leave first.
 */
export class CachedLookup<V> {
  private readonly entries = new Map<string, V | null>();
  private readonly reads = new SingleFlight<V | null>();

  constructor(
    private readonly load: (key: string) => Promise<V | null>,
    private readonly maxEntries: number,
  ) {}

  /** The cached value at once, or the loaded one; concurrent misses for one key share a single load. */
  get(key: string): Eventually<V | null> {
    const cached = this.entries.get(key);
    if (cached !== undefined) return cached;
    // A change while loading may make the value stale: its callers get it, the cache does not.
    return this.reads.run(
      key,
      () => this.load(key),
      (value) => this.remember(key, value),
    );
  }

  delete(key: string): void {
    this.entries.delete(key);
    this.reads.forget(key);
  }

  /** Drops every cached value that `matches` (misses stay: what was absent still is), and every load in flight. */
  deleteWhere(matches: (value: V) => boolean): void {
    for (const [key, value] of this.entries) if (value !== null && matches(value)) this.entries.delete(key);
    this.reads.clear();
  }

  clear(): void {
    this.entries.clear();
    this.reads.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private remember(key: string, value: V | null): void {
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, value);
  }
}
