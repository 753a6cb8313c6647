import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, parseDurationSeconds } from '../../src/config/duration.js';

describe('durations', () => {
  it('reads whole seconds and one unit of s, m, h or d', () => {
    assert.equal(parseDurationSeconds('0'), 0);
    assert.equal(parseDurationSeconds('3600'), 3600);
    assert.equal(parseDurationSeconds('90s'), 90);
    assert.equal(parseDurationSeconds('15m'), 900);
    assert.equal(parseDurationSeconds('12h'), 43_200);
    assert.equal(parseDurationSeconds('30d'), 2_592_000);
  });

  it('refuses anything else', () => {
    for (const raw of ['', 'h', '1.5h', '-1', '1H', '1w', '1 h', '1h30m', '1e3', `${'9'.repeat(20)}d`]) {
      assert.equal(parseDurationSeconds(raw), undefined, raw);
    }
  });

  it('writes seconds in the largest exact unit', () => {
    assert.equal(formatDuration(86_400), '1d');
    assert.equal(formatDuration(5400), '90m');
    assert.equal(formatDuration(7200), '2h');
    assert.equal(formatDuration(61), '61s');
  });
});
