import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LruMap } from '../../src/domain/lru-map.js';

describe('LruMap', () => {
  it('holds at most its capacity, dropping the least recently used (read or set) first', () => {
    const map = new LruMap<string, number>(3);
    map.set('a', 1);
    map.set('b', 2);
    map.set('c', 3);
    assert.equal(map.get('a'), 1, 'a is now the most recently used');
    map.set('d', 4);
    assert.equal(map.size, 3);
    assert.equal(map.get('b'), undefined, 'b was the least recently used');
    map.set('c', 30);
    map.set('e', 5);
    assert.equal(map.get('a'), undefined);
    assert.deepEqual(
      ['c', 'd', 'e'].map((key) => map.get(key)),
      [30, 4, 5],
    );
    for (let i = 0; i < 1000; i++) map.set(`k${i}`, i);
    assert.equal(map.size, 3);
    map.delete('k999');
    assert.equal(map.size, 2);
    assert.equal(map.get('k999'), undefined);
  });
});
