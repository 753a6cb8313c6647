// The measurements beside the throughput table (issue 15): start to first token on an empty and on a
// full client directory, WORKERS=2 against one worker by CPU time per token, and a flood of failing
// requests against the honest traffic (npm run bench: bench/run.mjs).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createApplications } from './bulk-apps.mjs';
import { measureCase } from './measure.mjs';
import { fmt } from './report.mjs';
import { LOAD_CPU, log, SERVER_CPU, SNAPSHOT, START_APPS, START_RUNS } from './settings.mjs';
import { restartLeanAuth, startLeanAuth, stopTarget } from './targets.mjs';

/**
 * Start to first token, nothing else running: the built server on a prepared database (an
 * application and a customer), START_RUNS times; then with START_APPS more applications, as many
 * times. Spawned pinned to SERVER_CPU; the bench polls the token endpoint every 2 ms.
 */
export async function startStep(store, alg = 'ES256') {
  log(`\nStart to first token (${store}, ${alg}; ${START_RUNS} starts each):`);
  const out = [];
  const target = await startLeanAuth(alg, store, { profile: false });
  try {
    for (const applications of [0, START_APPS]) {
      if (applications > 0) {
        const began = performance.now();
        const total = await createApplications(
          store === 'sqlite'
            ? { kind: 'sqlite', path: target.dbFile }
            : { kind: 'postgres', url: target.databaseUrl },
          applications,
        );
        log(
          `  (${total.toLocaleString('en')} applications in the database, made in ${fmt((performance.now() - began) / 1000, 1)} s)`,
        );
      }
      const ms = [];
      for (let i = 0; i < START_RUNS; i++) ms.push(await restartLeanAuth(target));
      const count = applications + 1;
      log(
        `  ${count.toLocaleString('en').padStart(6)} applications: ${ms.map((m) => `${fmt(m, 0)} ms`).join(', ')}`,
      );
      out.push({ store, alg, applications: count, ms });
    }
  } finally {
    await stopTarget(target);
  }
  return out;
}

/**
 * WORKERS=1 against WORKERS=2, interleaved rounds as in the table, neither pinned (the workers need
 * both CPUs, and wrk shares them): the CPU time of the primary and all its workers per token, which
 * the sharing hardly moves, and tokens/s for what they are worth on two shared cores.
 */
export async function workersStep(alg = 'ES256') {
  log(
    `\nWORKERS=2 against WORKERS=1 (${alg}, api, client_secret_post; server and wrk on CPUs ${SERVER_CPU},${LOAD_CPU}):`,
  );
  const cpu = `${SERVER_CPU},${LOAD_CPU}`;
  const targets = [];
  try {
    for (const workers of [1, 2]) {
      const target = await startLeanAuth(alg, 'sqlite', { profile: false, workers, cpu });
      target.variant = `workers=${workers}`;
      targets.push(target);
    }
    await measureCase(targets, 'api', 'post', {}, { loadCpu: cpu, withChildren: true });
  } finally {
    for (const target of targets) await stopTarget(target);
  }
  return { alg };
}

/**
 * scripts/flood.mjs's measurement (test/load/flood.ts) on the build under test, with its settings
 * (FLOOD_SECONDS, FLOOD_RATE, FLOOD_CONNECTIONS, FLOOD_LOG_LEVEL; about 50 s by default).
 */
export async function floodStep() {
  log('\nFlood of failing requests (npm run flood: honest tokens/s with and without a flood):');
  const module = join(SNAPSHOT, 'test/load/flood.js');
  const { runFloodMeasurement, formatFloodReport } = await import(pathToFileURL(module).href);
  const number = (name) => (process.env[name] === undefined ? undefined : Number(process.env[name]));
  const report = await runFloodMeasurement({
    seconds: number('FLOOD_SECONDS'),
    rate: number('FLOOD_RATE'),
    connections: number('FLOOD_CONNECTIONS'),
    logLevel: process.env.FLOOD_LOG_LEVEL ?? 'info',
    progress: (line) => log(`  ${line}`),
  });
  log(formatFloodReport(report));
  return report;
}
