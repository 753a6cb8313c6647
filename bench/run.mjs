#!/usr/bin/env node
// `npm run bench`: lean-auth side by side with panva's oidc-provider and with the floor (a bare
// node:http server that only parses, authenticates and signs), one after another on loopback, the
// server pinned to one CPU and the load generator to another. See bench/README.md.
// The parts are in bench/lib/, one module per section of the run.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { renderChart } from './chart.mjs';
import { queryChecks } from './lib/db-queries.mjs';
import { measureCase, measureSet, results } from './lib/measure.mjs';
import { millionTokens } from './lib/million.mjs';
import { clientAuthCosts, evaluateTargets, fmt, machine, newestMtime, ratios, table } from './lib/report.mjs';
import {
  ALGS,
  BASIC_ALGS,
  BENCH,
  BUILT_CLI,
  CLIENT_AUTH_ALGS,
  CONNECTIONS,
  disturbed,
  env,
  FLOOD_STEP,
  fail,
  LOAD_CPU,
  log,
  MILLION,
  PG_URL,
  PROFILE,
  ROOT,
  ROUND_WARMUP,
  ROUNDS,
  SECONDS,
  SNAPSHOT,
  STRICT,
  TAIL_ALGS,
  TAIL_CONNECTIONS,
  TARGETS,
  WARMUP,
  WORKERS_STEP,
} from './lib/settings.mjs';
import { floodStep, startStep, workersStep } from './lib/steps.mjs';
import { CONFIG_VARIABLES, startLeanAuth, startPeer, stopTarget } from './lib/targets.mjs';
import { LOADGEN, TASKSET, WANT_LOADGEN, WRK } from './lib/tools.mjs';
import { compareProfiles, summarizeProfile } from './profile-summary.mjs';

async function main() {
  if (!existsSync(BUILT_CLI)) {
    log('dist/ is missing: building lean-auth first (npm run build)…');
    const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
    if (build.status !== 0) fail('npm run build failed');
  } else if (newestMtime(join(ROOT, 'src')) > statSync(BUILT_CLI).mtimeMs) {
    log(
      'note: src/ has changed since dist/ was built; this measures dist/ as built (run `npm run build` first to measure the current source).',
    );
  }
  rmSync(SNAPSHOT, { recursive: true, force: true });
  cpSync(join(ROOT, 'dist'), SNAPSHOT, { recursive: true });
  process.on('exit', () => rmSync(SNAPSHOT, { recursive: true, force: true }));
  CONFIG_VARIABLES.push(
    ...(await import(pathToFileURL(join(SNAPSHOT, 'src/config/config.js')).href)).CONFIG_VARIABLES,
  );
  if (!WRK) {
    log(
      WANT_LOADGEN === 'wrk'
        ? 'wrk not found: falling back to autocannon, which needs far more CPU per request. Install wrk for the reference numbers:\n  sudo apt-get install -y wrk     (Debian/Ubuntu; as root without sudo)'
        : 'BENCH_LOADGEN=autocannon: using autocannon.',
    );
  }
  if (!TASKSET)
    log(
      'warning: taskset or a second CPU is missing: server and load generator are NOT pinned; figures are not comparable with the reference.',
    );
  if (TASKSET) spawnSync('taskset', ['-cp', LOAD_CPU, String(process.pid)], { stdio: 'ignore' });

  const info = machine();
  log(`lean-auth benchmark: ${info.cpu} (${info.cpus} CPUs), Linux ${info.kernel}, Node ${info.node}`);
  log(
    `load generator: ${info.loadGenerator}; ${CONNECTIONS} connections; warm-up ${WARMUP} s, then ${ROUND_WARMUP} s before every round; measurement ${SECONDS} s per run; ${info.pinned}`,
  );
  log(
    `lean-auth ${info.leanAuthCommit}, dist built ${info.distBuiltAt}; oidc-provider ${info.oidcProvider}\n`,
  );

  const starts = [];
  const dbQueries = [];
  const stores = ['sqlite', ...(PG_URL ? ['postgres'] : [])];
  const began = performance.now();

  /** Starts a target; a failed start is retried once (its first error is kept in the log). */
  async function start(name, store, alg, options) {
    for (let attempt = 1; ; attempt++) {
      try {
        const target =
          name === 'lean-auth' ? await startLeanAuth(alg, store, options ?? {}) : await startPeer(name, alg);
        starts.push({
          target: name,
          store,
          alg,
          ms: target.startToFirstTokenMs,
          ...(attempt > 1 && { attempt }),
        });
        return target;
      } catch (error) {
        log(`  ${name} ${store} ${alg}: could not start (attempt ${attempt}): ${error.message}`);
        if (attempt >= 2) {
          results.push({
            target: name,
            store,
            alg,
            token: 'api',
            auth: 'post',
            error: `start: ${error.message}`,
          });
          return undefined;
        }
      }
    }
  }

  for (const alg of ALGS) {
    log(`${alg}`);
    // All servers of this algorithm are up together, idle but for the one under load, so that their
    // rounds can interleave. Each is pinned to the same CPU.
    const targets = [];
    try {
      for (const name of TARGETS) {
        for (const store of name === 'lean-auth' ? stores : ['-']) {
          const clientAuth = name === 'lean-auth' && store === 'sqlite' && CLIENT_AUTH_ALGS.includes(alg);
          const target = await start(name, store, alg, { clientAuth });
          if (target) targets.push(target);
        }
      }
      await measureCase(targets, 'api', 'post');
      await measureCase(targets, 'customer', 'post');
      if (BASIC_ALGS.includes(alg)) await measureCase(targets, 'api', 'basic');
      if (TAIL_ALGS.includes(alg)) {
        // The tail under more connections: lean-auth against the floor (the p99 target).
        const tail = targets.filter(
          (t) => t.name === 'floor' || (t.name === 'lean-auth' && t.store === 'sqlite'),
        );
        await measureCase(tail, 'api', 'post', { connections: TAIL_CONNECTIONS });
      }
      const lean = targets.find((t) => t.name === 'lean-auth' && t.store === 'sqlite');
      if (lean && CLIENT_AUTH_ALGS.includes(alg)) {
        // Issue 14's methods beside client_secret_post, interleaved on the same process.
        await measureSet(
          ['post', 'private_key_jwt', 'dpop'].map((auth) => ({
            target: lean,
            kind: 'api',
            auth,
            extra: { beside: 'client auth' },
          })),
        );
      }
    } finally {
      for (const target of targets) await stopTarget(target);
    }
    // Unknown customers and the query count on a server of their own, so that a CPU profile of
    // the main one shows valid token requests only.
    if (alg === 'ES256' && TARGETS.includes('lean-auth')) {
      for (const store of stores) {
        const checks = await start('lean-auth', store, alg, { profile: false });
        if (!checks) continue;
        try {
          // Valid and unknown customers interleaved on the same process: the fairest comparison.
          await measureSet([
            { target: checks, kind: 'customer', auth: 'post', extra: { beside: 'unknown' } },
            { target: checks, kind: 'unknown', auth: 'post', extra: {} },
          ]);
          if (store === 'sqlite') await queryChecks(checks, alg, dbQueries);
        } finally {
          await stopTarget(checks);
        }
      }
    }
  }

  const startStepResults = [];
  if (TARGETS.includes('lean-auth')) {
    for (const store of stores) {
      try {
        startStepResults.push(...(await startStep(store)));
      } catch (error) {
        log(`  start measurement (${store}) failed: ${error.message}`);
        results.push({
          target: 'lean-auth',
          store,
          alg: 'ES256',
          token: 'start',
          auth: '-',
          error: error.message,
        });
      }
    }
  }
  const million = [];
  if (MILLION) {
    for (const store of stores) {
      try {
        million.push(await millionTokens(env.BENCH_MILLION_ALG ?? 'ES256', store));
      } catch (error) {
        log(`  million-token run (${store}) failed: ${error.message}`);
        results.push({
          target: 'lean-auth',
          store,
          alg: 'ES256',
          token: 'million',
          auth: '-',
          error: error.message,
        });
      }
    }
  }
  let workers;
  if (WORKERS_STEP) workers = await workersStep();
  let flood;
  if (FLOOD_STEP) {
    try {
      flood = await floodStep();
    } catch (error) {
      log(`  flood measurement failed: ${error.message}`);
      results.push({
        target: 'lean-auth',
        store: 'sqlite',
        alg: 'ES256',
        token: 'flood',
        auth: '-',
        error: error.message,
      });
    }
  }

  // ----- report
  const rows = results.map((r) => [
    r.target,
    r.store,
    r.alg,
    (r.token === 'unknown' ? 'unknown-customer' : r.beside ? `${r.token} (beside ${r.beside})` : r.token) +
      (r.variant ? ` ${r.variant}` : '') +
      (r.connections && r.connections !== CONNECTIONS ? ` c${r.connections}` : ''),
    r.auth,
    r.error ? 'FAILED' : fmt(r.reqPerSec, 0),
    r.error ? '-' : r.token === 'unknown' ? '(400s)' : fmt(r.tokensPerSec, 0),
    r.error ? '-' : `±${fmt(r.spread / 2, 0)}`,
    fmt(r.p50ms, 2),
    fmt(r.p99ms, 2),
    r.error ? '-' : String(r.non2xx + (r.socketErrors ? ` +${r.socketErrors} sock` : '')),
    fmt(r.cpuMicrosPerToken, 0),
    fmt(r.serverCpu, 0),
    fmt(r.loadCpu, 0),
    r.otherServerCpu === undefined
      ? '-'
      : `${fmt(r.otherServerCpu, 0)}/${fmt(r.otherLoadCpu, 0)}${disturbed(r) ? ' !' : ''}`,
    fmt(r.rssMiB, 0),
  ]);
  log(
    `\nResults (${LOADGEN}, ${SECONDS} s per run in ${ROUNDS} interleaved rounds, ${CONNECTIONS} connections):\n`,
  );
  log(
    table(rows, [
      'target',
      'store',
      'alg',
      'token',
      'auth',
      'req/s',
      'tokens/s',
      'rounds %',
      'p50 ms',
      'p99 ms',
      'non-2xx',
      'µs/token',
      'srv CPU%',
      'load CPU%',
      'other% s/l',
      'RSS MiB',
    ]),
  );
  const disturbedRuns = results.filter(disturbed).length;
  if (disturbedRuns > 0) {
    log(
      `\n! ${disturbedRuns} run(s) shared the benchmark CPUs with other processes (other% s/l: busy time on the server's / the load generator's CPU that was neither of them). Their tokens/s understate the server (µs/token is less affected); rerun on a quiet machine.`,
    );
  }

  const ratioRows = ratios();
  log('\nRatios (tokens/s of lean-auth with SQLite, divided by):\n');
  log(
    table(
      ratioRows.map((r) => [
        r.alg,
        r.token,
        r.auth,
        '',
        '',
        fmt(r.leanTokensPerSec, 0),
        r.leanOverFloor === undefined ? '-' : `${fmt(r.leanOverFloor * 100, 1)}%`,
        r.leanOverFloorByCpu === undefined ? '-' : `${fmt(r.leanOverFloorByCpu * 100, 1)}%`,
        r.leanOverOidcProvider === undefined ? '-' : `${fmt(r.leanOverOidcProvider, 2)}×`,
        r.leanOverOidcProviderByCpu === undefined ? '-' : `${fmt(r.leanOverOidcProviderByCpu, 2)}×`,
        r.disturbed ? '!' : '',
      ]),
      [
        'alg',
        'token',
        'auth',
        '',
        '',
        'lean-auth tok/s',
        'of floor',
        'of floor by CPU µs',
        '× oidc-provider',
        'by CPU µs',
        '',
      ],
    ),
  );

  const clientAuth = clientAuthCosts();
  if (clientAuth.length > 0) {
    log('\nClient authentication (lean-auth, SQLite, api tokens; the three interleaved on one process):\n');
    log(
      table(
        clientAuth.map((c) => [
          c.alg,
          c.auth,
          '',
          '',
          '',
          fmt(c.tokensPerSec, 0),
          fmt(c.cpuMicrosPerToken, 0),
          c.auth === 'post' ? '-' : `+${fmt(c.extraMicros, 0)}`,
          c.auth === 'post' ? '-' : `${fmt(c.relative * 100, 0)}%`,
        ]),
        ['alg', 'auth', '', '', '', 'tokens/s', 'µs/token', 'µs over post', 'of post µs'],
      ),
    );
  }

  log(
    '\nStart to first token during the table (process spawned → first 200 from /oauth2/token; the other servers of the algorithm up and idle):',
  );
  for (const s of starts)
    log(`  ${`${s.target}${s.store !== '-' ? `/${s.store}` : ''} ${s.alg}`.padEnd(28)} ${fmt(s.ms, 0)} ms`);

  const checks = evaluateTargets(ratioRows, {
    starts,
    startStep: startStepResults,
    dbQueries,
    million,
    workers,
    flood,
  });
  log('\nTargets (held or missed, with the figure measured):');
  for (const c of checks) log(`  ${c.pass ? 'HELD  ' : 'MISSED'}  ${c.name}: ${c.measured}`);
  if (!MILLION) log('  (RSS after one million tokens: not run; BENCH_MILLION=1 or BENCH_ALL=1 runs it)');
  if (!WORKERS_STEP) log('  (WORKERS=2 against one worker: not run; BENCH_WORKERS=1 or BENCH_ALL=1 runs it)');
  if (!FLOOD_STEP) log('  (honest tokens under a flood: not run; BENCH_FLOOD=1 or BENCH_ALL=1 runs it)');
  if (!PG_URL) log('  (PostgreSQL: not run; BENCH_DATABASE_URL=postgres://… adds it)');

  const totalSeconds = (performance.now() - began) / 1000;
  const report = {
    date: new Date().toISOString(),
    machine: info,
    settings: {
      seconds: SECONDS,
      rounds: ROUNDS,
      warmup: WARMUP,
      connections: CONNECTIONS,
      algs: ALGS,
      targets: TARGETS,
      basicAlgs: BASIC_ALGS,
      roundWarmup: ROUND_WARMUP,
      tailConnections: TAIL_CONNECTIONS,
      tailAlgs: TAIL_ALGS,
      clientAuthAlgs: CLIENT_AUTH_ALGS,
      loadGenerator: LOADGEN,
      postgres: Boolean(PG_URL),
    },
    results,
    ratios: ratioRows,
    startToFirstToken: starts,
    startStep: startStepResults,
    clientAuthentication: clientAuth,
    workers,
    flood,
    dbQueriesPerWarmRequest: {
      method:
        'strace -f -c -P <sqlite files> -e trace=pread64,pwrite64,read,write,lseek,fcntl,fsync,fdatasync attached to the warm server; unknown customer ids as the control that the method sees a query',
      runs: dbQueries,
    },
    million,
    targets: checks,
    totalSeconds,
  };
  writeFileSync(join(BENCH, 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(BENCH, 'results.svg'), renderChart(report));
  log(`\nWrote bench/results.json and bench/results.svg (${fmt(totalSeconds / 60, 1)} min).`);

  if (PROFILE) {
    const dir = join(BENCH, 'profiles');
    log('\nCPU profiles (bench/profiles/*.cpuprofile), self time by where it is spent:');
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .sort()) {
      log(`\n${file}`);
      log(summarizeProfile(join(dir, file), { top: 12 }));
    }
    for (const alg of ALGS) {
      const lean = join(dir, `lean-auth-sqlite-${alg}.cpuprofile`);
      const floor = join(dir, `floor-${alg}.cpuprofile`);
      if (!existsSync(lean) || !existsSync(floor)) continue;
      log(`\n${alg}: lean-auth (A) against the floor (B), CPU per token in units of one signature:`);
      log(compareProfiles(lean, floor, { top: 15 }));
    }
  }

  const broken = results.some((r) => r.error);
  if (broken) process.exitCode = 1;
  else if (STRICT && checks.some((c) => !c.pass)) process.exitCode = 1;
}

await main();
