import { DomainError } from './domain-error.js';

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
  private readonly loading = new Map<string, Promise<V | null>>();
  private generation = 0;

  constructor(
    private readonly load: (key: string) => Promise<V | null>,
    private readonly maxEntries: number,
  ) {}

  /** The cached value, or the loaded one; concurrent misses for one key share a single load. */
  get(key: string): Promise<V | null> {
    const cached = this.entries.get(key);
    if (cached !== undefined) return Promise.resolve(cached);
    return this.loading.get(key) ?? this.startLoad(key);
  }

  delete(key: string): void {
    this.entries.delete(key);
    this.loading.delete(key);
    this.generation++;
  }

  /** Drops every cached value that `matches` (misses stay: what was absent still is). */
  deleteWhere(matches: (value: V) => boolean): void {
    for (const [key, value] of this.entries) if (value !== null && matches(value)) this.entries.delete(key);
    this.loading.clear();
    this.generation++;
  }

  clear(): void {
    this.entries.clear();
    this.loading.clear();
    this.generation++;
  }

  get size(): number {
    return this.entries.size;
  }

  private startLoad(key: string): Promise<V | null> {
    const generation = this.generation;
    const promise = this.load(key).then(
      (value) => {
        // A change while loading may have made this value stale: answer with it, but do not keep it.
        if (this.generation === generation) this.remember(key, value);
        if (this.loading.get(key) === promise) this.loading.delete(key);
        return value;
      },
      (error: unknown) => {
        if (this.loading.get(key) === promise) this.loading.delete(key);
        throw error;
      },
    );
    this.loading.set(key, promise);
    return promise;
  }

  private remember(key: string, value: V | null): void {
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, value);
  }
}
