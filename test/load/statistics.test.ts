import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bootstrapMedianDifference, median, quantile, seededRandom } from './statistics.js';

// The statistics of scripts/timing.mjs: if they were wrong, its verdict would be too.
describe('the timing statistics', () => {
  it('takes medians and quantiles by rank', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(quantile([1, 2, 3, 4, 5], 0), 1);
    assert.equal(quantile([1, 2, 3, 4, 5], 1), 5);
    assert.equal(quantile([1, 2, 3, 4, 5], 0.25), 2);
  });

  // 500 resamples, not timing.mjs's 2,000: the interval is as good at this separation, in a quarter of the time.
  const sample = (random: () => number, n: number, shift: number) =>
    Array.from({ length: n }, () => 1000 + shift - 200 * Math.log(1 - random()));

  it('finds no difference between two samples of one distribution', () => {
    const random = seededRandom(7);
    const result = bootstrapMedianDifference(sample(random, 3000, 0), sample(random, 3000, 0), {
      seed: 3,
      resamples: 500,
    });
    assert.ok(result.low < 0 && result.high > 0, JSON.stringify(result));
    assert.equal(result.distinguishable, false);
  });

  it('tells a shift of a tenth of the spread from none, with the shift inside the interval', () => {
    const random = seededRandom(11);
    const result = bootstrapMedianDifference(sample(random, 3000, 20), sample(random, 3000, 0), {
      seed: 5,
      resamples: 500,
    });
    assert.equal(result.distinguishable, true, JSON.stringify(result));
    assert.ok(result.low < 20 && result.high > 20, JSON.stringify(result));
  });
});
