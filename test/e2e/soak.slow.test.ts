import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatSoakReport, runSoak } from '../load/soak.js';

// The short form of `npm run soak` (scripts/soak.mjs, the same code): 20 s of the realistic mix
// against the compiled server on loopback, at 1,500 requests a second (the long run goes as fast as
// the server answers). In its first minutes the server's RSS grows with the load until the garbage
// collector settles (then it saws up and down): in 20 s at full speed, some 3,300 requests a second
// on a 2-core machine, it grew 5 to 8% from the middle to the end, too near the 10% allowed; at
// 1,500 a second it grew 2 to 15% (the collector's timing, with the dashboard and MCP code loaded).
// So the 20 s form allows 25%: a leak of even a kilobyte a request still exceeds it; the ten-minute
// `npm run soak` holds the real 10%.
describe('the soak, for 20 seconds', { timeout: 120_000 }, () => {
  it('answers every request as expected, never 5xx, and its memory levels off', async (t) => {
    const report = await runSoak({ seconds: 20, connections: 4, rate: 1500, rssGrowthLimit: 0.25 });
    const text = formatSoakReport(report);
    for (const line of text.split('\n')) t.diagnostic(line);
    assert.ok(report.requests > 1000, text);
    assert.ok(
      report.byCategory['wrong secret'].requests > 0 && report.byCategory.malformed.requests > 0,
      text,
    );
    assert.ok(report.passed, text);
  });
});
