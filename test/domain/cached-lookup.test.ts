import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CachedLookup } from '../../src/domain/cached-lookup.js';

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A loader over a map that counts its calls per key. */
function countingLoader(data: Map<string, string>) {
  const calls = new Map<string, number>();
  return {
    calls,
    load: async (key: string): Promise<string | null> => {
      calls.set(key, (calls.get(key) ?? 0) + 1);
      return data.get(key) ?? null;
    },
  };
}

/** A loader whose every call waits until the test settles it. */
function manualLoader() {
  const pending: { key: string; result: Deferred<string | null> }[] = [];
  return {
    pending,
    load: (key: string): Promise<string | null> => {
      const result = deferred<string | null>();
      pending.push({ key, result });
      return result.promise;
    },
  };
}

describe('CachedLookup', () => {
  it('loads a hit once and then answers from the cache', async () => {
    const data = new Map([['a', 'A']]);
    const { calls, load } = countingLoader(data);
    const cache = new CachedLookup(load, 10);
    assert.equal(await cache.get('a'), 'A');
    data.set('a', 'changed behind its back');
    assert.equal(await cache.get('a'), 'A');
    assert.equal(await cache.get('a'), 'A');
    assert.equal(calls.get('a'), 1);
    assert.equal(cache.size, 1);
  });

  it('remembers a miss too, so unknown ids cost one load each', async () => {
    const { calls, load } = countingLoader(new Map());
    const cache = new CachedLookup(load, 10);
    assert.equal(await cache.get('nobody'), null);
    assert.equal(await cache.get('nobody'), null);
    assert.equal(await cache.get('nobody'), null);
    assert.equal(calls.get('nobody'), 1);
    assert.equal(cache.size, 1);
  });

  it('keeps each key apart', async () => {
    const { calls, load } = countingLoader(
      new Map([
        ['a', 'A'],
        ['b', 'B'],
      ]),
    );
    const cache = new CachedLookup(load, 10);
    assert.equal(await cache.get('a'), 'A');
    assert.equal(await cache.get('b'), 'B');
    assert.equal(await cache.get('a'), 'A');
    assert.deepEqual(Object.fromEntries(calls), { a: 1, b: 1 });
  });

  it('is bounded: at maxEntries the oldest entry leaves first', async () => {
    const data = new Map([
      ['a', 'A'],
      ['b', 'B'],
      ['c', 'C'],
      ['d', 'D'],
    ]);
    const { calls, load } = countingLoader(data);
    const cache = new CachedLookup(load, 3);
    await cache.get('a');
    await cache.get('b');
    await cache.get('c');
    assert.equal(cache.size, 3);
    await cache.get('d');
    assert.equal(cache.size, 3, 'the cache grew past maxEntries');

    // b, c and d are still cached; a was evicted and loads again.
    await cache.get('b');
    await cache.get('c');
    await cache.get('d');
    assert.deepEqual(Object.fromEntries(calls), { a: 1, b: 1, c: 1, d: 1 });
    assert.equal(await cache.get('a'), 'A');
    assert.equal(calls.get('a'), 2);
    assert.equal(cache.size, 3);
    // Loading a again evicted b, now the oldest.
    await cache.get('b');
    assert.equal(calls.get('b'), 2);
  });

  it('never holds more than maxEntries, whatever the traffic', async () => {
    const { load } = countingLoader(new Map());
    const cache = new CachedLookup(load, 50);
    for (let i = 0; i < 500; i++) await cache.get(`key-${i}`);
    assert.equal(cache.size, 50);
  });

  it('concurrent gets of one key share a single load', async () => {
    const loader = manualLoader();
    const cache = new CachedLookup(loader.load, 10);
    const gets = [cache.get('a'), cache.get('a'), cache.get('a')];
    assert.equal(loader.pending.length, 1);
    loader.pending[0]?.result.resolve('A');
    assert.deepEqual(await Promise.all(gets), ['A', 'A', 'A']);
    assert.equal(await cache.get('a'), 'A');
    assert.equal(loader.pending.length, 1);
  });

  it('delete() during a load: that caller gets the value, but it is not cached', async () => {
    const loader = manualLoader();
    const cache = new CachedLookup(loader.load, 10);
    const inFlight = cache.get('a');
    cache.delete('a');
    loader.pending[0]?.result.resolve('stale');
    assert.equal(await inFlight, 'stale');
    assert.equal(cache.size, 0);

    // The next get loads afresh.
    const fresh = cache.get('a');
    assert.equal(loader.pending.length, 2);
    loader.pending[1]?.result.resolve('fresh');
    assert.equal(await fresh, 'fresh');
    assert.equal(await cache.get('a'), 'fresh');
    assert.equal(loader.pending.length, 2);
  });

  it('a get after delete() does not join the stale in-flight load', async () => {
    const loader = manualLoader();
    const cache = new CachedLookup(loader.load, 10);
    const stale = cache.get('a');
    cache.delete('a');
    const fresh = cache.get('a');
    assert.equal(loader.pending.length, 2, 'the get after delete() must start its own load');
    // The fresh load finishes first, then the stale one: the stale value must not overwrite it.
    loader.pending[1]?.result.resolve('fresh');
    assert.equal(await fresh, 'fresh');
    loader.pending[0]?.result.resolve('stale');
    assert.equal(await stale, 'stale');
    assert.equal(await cache.get('a'), 'fresh');
    assert.equal(loader.pending.length, 2);
  });

  it('clear() during a load: that caller gets the value, but it is not cached', async () => {
    const loader = manualLoader();
    const cache = new CachedLookup(loader.load, 10);
    const cached = cache.get('b');
    loader.pending[0]?.result.resolve('B');
    await cached;
    assert.equal(cache.size, 1);

    const inFlight = cache.get('a');
    cache.clear();
    assert.equal(cache.size, 0);
    loader.pending[1]?.result.resolve('stale');
    assert.equal(await inFlight, 'stale');
    assert.equal(cache.size, 0);

    const again = cache.get('a');
    assert.equal(loader.pending.length, 3);
    loader.pending[2]?.result.resolve('A');
    assert.equal(await again, 'A');
    // b was cleared too.
    void cache.get('b');
    assert.equal(loader.pending.length, 4);
    loader.pending[3]?.result.resolve('B');
  });

  it('delete() drops a cached value', async () => {
    const data = new Map([['a', 'A']]);
    const { calls, load } = countingLoader(data);
    const cache = new CachedLookup(load, 10);
    await cache.get('a');
    data.set('a', 'A2');
    cache.delete('a');
    assert.equal(await cache.get('a'), 'A2');
    assert.equal(calls.get('a'), 2);
  });

  it('deleteWhere() drops the values that match, keeps the others and the misses, and no load in flight', async () => {
    const data = new Map([
      ['a1', 'app-a'],
      ['a2', 'app-a'],
      ['b1', 'app-b'],
    ]);
    const { calls, load } = countingLoader(data);
    const cache = new CachedLookup(load, 10);
    for (const key of ['a1', 'a2', 'b1', 'missing']) await cache.get(key);
    const loader = manualLoader();
    const slow = new CachedLookup(loader.load, 10);
    const inFlight = slow.get('a3');

    data.delete('a1');
    data.delete('a2');
    cache.deleteWhere((value) => value === 'app-a');
    slow.deleteWhere((value) => value === 'app-a');
    assert.equal(cache.size, 2);
    assert.equal(await cache.get('a1'), null);
    assert.equal(await cache.get('a2'), null);
    assert.equal(await cache.get('b1'), 'app-b');
    assert.equal(await cache.get('missing'), null);
    assert.deepEqual(Object.fromEntries(calls), { a1: 2, a2: 2, b1: 1, missing: 1 });

    loader.pending[0]?.result.resolve('app-a');
    assert.equal(await inFlight, 'app-a');
    assert.equal(slow.size, 0, 'a load that began before deleteWhere() was kept');
  });

  it('a rejected load is not cached: every waiting caller sees the error, the next get retries', async () => {
    const loader = manualLoader();
    const cache = new CachedLookup(loader.load, 10);
    const first = cache.get('a');
    const second = cache.get('a');
    loader.pending[0]?.result.reject(new Error('database down'));
    await assert.rejects(async () => first, /database down/);
    await assert.rejects(async () => second, /database down/);
    assert.equal(cache.size, 0);

    const retry = cache.get('a');
    assert.equal(loader.pending.length, 2, 'the failed load was remembered');
    loader.pending[1]?.result.resolve('A');
    assert.equal(await retry, 'A');
    assert.equal(await cache.get('a'), 'A');
    assert.equal(loader.pending.length, 2);
  });
});
