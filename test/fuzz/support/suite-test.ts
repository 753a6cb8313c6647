import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CI_SEED, fuzzSettings } from './fuzz-settings.js';
import { FuzzTarget } from './fuzz-target.js';
import { canCollectGarbage, MiB, settledHeapUsed } from './memory.js';
import type { FuzzSuite } from './property.js';

/**
 * How much more heap than before the fuzzing a run may leave behind. The server keeps bounded
 * caches (unknown client ids, throttle counters) that a few hundred runs fill a little; a leak
 * of a few KiB per request shows up well beyond this.
 */
function heapSlack(baseline: number): number {
  return canCollectGarbage() ? Math.max(12 * MiB, baseline * 0.2) : Math.max(48 * MiB, baseline * 0.75);
}

/** The node:test suite for one fuzz suite: each property with the CI seed, then the log and the heap. */
export function describeFuzzSuite(suite: FuzzSuite): void {
  describe(`fuzzing the ${suite.name} surface`, { timeout: 180_000 }, () => {
    let target: FuzzTarget;
    let baseline = 0;

    before(async () => {
      target = await FuzzTarget.start(suite.env);
      // A few runs of each property first, so that compiled code, lazy modules and warm caches
      // are in the baseline and only what the fuzzing leaves behind counts.
      for (const property of suite.properties) {
        const warm = await property.check(target, { seed: CI_SEED + 1, numRuns: 10 });
        assert.ok(!warm.failed, warm.report);
      }
      baseline = await settledHeapUsed();
    });
    after(() => target?.close());

    for (const property of suite.properties) {
      it(property.name, async () => {
        const outcome = await property.check(target, fuzzSettings(property.runs));
        assert.ok(!outcome.failed, outcome.report);
      });
    }

    it('logs no secret, key, admin token or access token, and logged every request', async (t) => {
      await target.checkLog('the run');
      for (const line of target.summary().split('\n')) t.diagnostic(line);
      assert.ok(target.log.accessLines > 100, `only ${target.log.accessLines} access log lines`);
    });

    it('returns to near its heap baseline once the fuzzing stops', async (t) => {
      const settled = await settledHeapUsed();
      const growth = settled - baseline;
      t.diagnostic(
        `heap ${(baseline / MiB).toFixed(1)} MiB before, ${(settled / MiB).toFixed(1)} MiB after (${canCollectGarbage() ? 'with' : 'without'} forced collections)`,
      );
      assert.ok(
        growth <= heapSlack(baseline),
        `heap grew by ${(growth / MiB).toFixed(1)} MiB (from ${(baseline / MiB).toFixed(1)} MiB), more than ${(heapSlack(baseline) / MiB).toFixed(1)} MiB`,
      );
    });
  });
}
