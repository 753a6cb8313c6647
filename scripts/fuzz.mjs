#!/usr/bin/env node
// `npm run fuzz`: the fuzz properties of test/fuzz for a long time, with random seeds.
//
//   FUZZ_MINUTES=60 npm run fuzz          an hour (default 10 minutes)
//   FUZZ_SUITES=token,admin npm run fuzz  some suites only (token, introspection, admin)
//   FUZZ_PROPERTY='wrong secret'          only the properties whose name contains this
//   FUZZ_SEED=123 FUZZ_PATH=4:1:0 FUZZ_PROPERTY='…' npm run fuzz
//                                         replay one failure (as printed), then stop
//   FUZZ_RUNS=500                         runs per check (one check = one seed), default 500
//
// Each check prints one line. A failure prints fast-check's report (seed, path, counterexample,
// error) and the command that replays it, and the script exits with status 1. At the end (and
// every few minutes) it prints the heap after settling, which must level off: a long run that
// keeps growing fails.
//
// It imports the compiled tests: `npm run fuzz` builds first. LEAN_AUTH_DIST points at another
// build output (default: dist beside this folder).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = resolve(process.env.LEAN_AUTH_DIST ?? join(ROOT, 'dist'));
const SUPPORT = join(DIST, 'test/fuzz/support');
if (!existsSync(join(SUPPORT, 'properties.js'))) {
  console.error(
    `fuzz: ${SUPPORT}/properties.js is missing: run \`npm run build\` first (npm run fuzz does).`,
  );
  process.exit(2);
}
const load = (name) => import(pathToFileURL(join(SUPPORT, name)).href);
const { SUITES } = await load('properties.js');
const { FuzzTarget } = await load('fuzz-target.js');
const { settledHeapUsed, canCollectGarbage, MiB } = await load('memory.js');

const env = process.env;
const minutes = Number(env.FUZZ_MINUTES ?? 10);
const runsPerCheck = Number(env.FUZZ_RUNS ?? 500);
const replaySeed = env.FUZZ_SEED === undefined ? undefined : Number(env.FUZZ_SEED);
const replayPath = env.FUZZ_PATH || undefined;
const only = env.FUZZ_PROPERTY;
const suiteNames = (env.FUZZ_SUITES ?? SUITES.map((s) => s.name).join(','))
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
if (!(minutes > 0) || !(runsPerCheck > 0) || (replaySeed !== undefined && !Number.isInteger(replaySeed))) {
  console.error('fuzz: FUZZ_MINUTES and FUZZ_RUNS must be positive numbers, FUZZ_SEED an integer');
  process.exit(2);
}
const unknown = suiteNames.filter((name) => !SUITES.some((s) => s.name === name));
if (unknown.length > 0) {
  console.error(
    `fuzz: unknown suite ${unknown.join(', ')}; the suites are ${SUITES.map((s) => s.name).join(', ')}`,
  );
  process.exit(2);
}

const selected = SUITES.filter((s) => suiteNames.includes(s.name))
  .map((suite) => ({ suite, properties: suite.properties.filter((p) => !only || p.name.includes(only)) }))
  .filter(({ properties }) => properties.length > 0);
if (selected.length === 0) {
  console.error(`fuzz: no property matches FUZZ_PROPERTY='${only}'`);
  process.exit(2);
}

const started = Date.now();
const deadline = started + minutes * 60_000;
const clock = () => new Date().toISOString().slice(11, 19);
const mib = (bytes) => `${(bytes / MiB).toFixed(1)} MiB`;
const randomSeed = () => (Math.random() * 2 ** 31) | 0;

console.log(
  replaySeed === undefined
    ? `fuzz: ${minutes} min, ${runsPerCheck} runs per check, suites ${selected.map((s) => s.suite.name).join(', ')}${only ? `, properties matching '${only}'` : ''}`
    : `fuzz: replaying seed ${replaySeed}${replayPath ? ` path ${replayPath}` : ''}`,
);

const targets = new Map();
for (const { suite } of selected) targets.set(suite.name, await FuzzTarget.start(suite.env));

const totals = new Map();
const heap = [];
let failed = false;
let lastHeapAt = 0;

async function sampleHeap(label) {
  const used = await settledHeapUsed();
  heap.push({ at: Date.now() - started, used });
  console.log(`[${clock()}] heap after settling (${label}): ${mib(used)}`);
  lastHeapAt = Date.now();
}

try {
  // The first check of every property warms the process up; the heap is sampled after it.
  let round = 0;
  outer: while (replaySeed !== undefined ? round === 0 : Date.now() < deadline || round === 0) {
    for (const { suite, properties } of selected) {
      const target = targets.get(suite.name);
      for (const property of properties) {
        const remaining = deadline - Date.now();
        if (replaySeed === undefined && round > 0 && remaining <= 0) break outer;
        const seed = replaySeed ?? randomSeed();
        const t0 = Date.now();
        const outcome = await property.check(target, {
          seed,
          numRuns: runsPerCheck,
          path: replayPath,
          timeLimitMs: replaySeed === undefined ? Math.max(remaining, 5_000) : undefined,
        });
        const key = `${suite.name} / ${property.name}`;
        totals.set(key, (totals.get(key) ?? 0) + outcome.numRuns);
        if (outcome.failed) {
          failed = true;
          console.log(
            `\n[${clock()}] FAILED ${key}\nseed ${outcome.seed}, path ${outcome.path}\n${outcome.report}`,
          );
          console.log(
            `\nreplay: FUZZ_SEED=${outcome.seed} FUZZ_PATH=${outcome.path} FUZZ_PROPERTY='${property.name}' FUZZ_SUITES=${suite.name} npm run fuzz`,
          );
          break outer;
        }
        console.log(
          `[${clock()}] ok  ${key}: ${outcome.numRuns} runs, seed ${seed}, ${Date.now() - t0} ms${outcome.interrupted ? ' (stopped at the time limit)' : ''}`,
        );
      }
    }
    if (round === 0 || Date.now() - lastHeapAt > 5 * 60_000) await sampleHeap(`round ${round + 1}`);
    round++;
  }
  if (!failed) await sampleHeap('end');
} finally {
  for (const target of targets.values()) await target.close();
}

console.log('\nfuzz summary');
for (const [key, runs] of totals) console.log(`  ${String(runs).padStart(9)} runs  ${key}`);
for (const target of targets.values()) {
  for (const line of target.summary().split('\n'))
    if (line.startsWith('known bugs')) console.log(`  ${line}`);
}
console.log(`  duration ${((Date.now() - started) / 60_000).toFixed(1)} min`);

// The heap must level off: the server's caches are bounded, so after the first half of a long run
// it may still grow a little (the caches filling up), but not keep growing.
if (!failed && heap.length >= 3) {
  const middle = heap[Math.floor((heap.length - 1) / 2)].used;
  const end = heap.at(-1).used;
  const allowed = middle * 1.25 + 32 * MiB;
  console.log(
    `  heap: ${heap.map((h) => mib(h.used)).join(' → ')} (${canCollectGarbage() ? 'forced collections' : 'no forced collections'})`,
  );
  if (end > allowed) {
    failed = true;
    console.log(`FAILED: the heap kept growing: ${mib(middle)} at the middle, ${mib(end)} at the end`);
  }
}
console.log(failed ? '\nfuzz: FAILED' : '\nfuzz: passed');
process.exit(failed ? 1 : 0);
