#!/usr/bin/env node
// `npm run timing`: can an attacker tell an unknown client_id from a known one with a wrong secret
// by how long the token endpoint takes to refuse? A measurement, not a test: it starts the compiled
// `lean-auth serve` on loopback (TRUST_PROXY=loopback, each request from an X-Forwarded-For address of
// its own, so the brute-force throttle never answers), sends TIMING_REQUESTS (default 5000)
// requests of each kind interleaved in random order over one keep-alive connection, one at a time,
// and prints each kind's latency and the difference of the medians with a bootstrap 95% confidence
// interval, and whether that difference is distinguishable from zero. Two unknown kinds: an
// unknown id that repeats, and one never seen before.
//
//   TIMING_REQUESTS=5000   requests of each kind (after 500 of warm-up)
//   TIMING_SEED=123        the order and the bootstrap, to repeat a run
//   LEAN_AUTH_DIST=dist    the build to use (npm run timing builds dist first)
//
// Exit status 1 when a difference is distinguishable from zero. Run it on a quiet machine: other
// load adds noise (a wider interval), not a difference.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = resolve(process.env.LEAN_AUTH_DIST ?? join(ROOT, 'dist'));
const module = join(DIST, 'test/load/timing.js');
if (!existsSync(module)) {
  console.error(`timing: ${module} is missing: run \`npm run build\` first (npm run timing does).`);
  process.exit(2);
}
const { runTiming, formatTimingReport } = await import(pathToFileURL(module).href);
const requests = Number(process.env.TIMING_REQUESTS ?? 5000);
const seed = process.env.TIMING_SEED === undefined ? undefined : Number(process.env.TIMING_SEED);
if (!(requests >= 100) || (seed !== undefined && !Number.isInteger(seed))) {
  console.error('timing: TIMING_REQUESTS must be at least 100, TIMING_SEED an integer');
  process.exit(2);
}
const stamp = () => new Date().toISOString().slice(11, 19);
console.log(`[${stamp()}] timing: ${requests} requests of each kind; starting the server`);
const report = await runTiming({
  requests,
  ...(seed !== undefined && { seed }),
  progress: (line) => console.log(`[${stamp()}] ${line}`),
});
console.log(formatTimingReport(report));
const distinguishable = report.repeated.distinguishable || report.neverSeen.distinguishable;
process.exit(distinguishable || report.otherAnswers > 0 ? 1 : 0);
