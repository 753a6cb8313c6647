// Load: wrk or autocannon on LOAD_CPU, and the CPU both sides used (npm run bench: bench/run.mjs).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { cpuBusy, logTail, procStat, running, workerPids } from './processes.mjs';
import { BENCH, CONNECTIONS, LOAD_CPU, SERVER_CPU } from './settings.mjs';
import { writePool } from './signed-pool.mjs';
import { CLK_TCK, LOADGEN, pinned, TASKSET, WRK } from './tools.mjs';

/**
 * One run of `seconds` against `target`. connections: the load's (CONNECTIONS by default).
 * loadCpu: the CPU(s) wrk is pinned to. withChildren: the server's CPU time includes its worker
 * processes' (WORKERS=n; the primary's children as they are when the run starts).
 */
export async function runLoad(target, req, seconds, options = {}) {
  const { amount, connections = CONNECTIONS, loadCpu = LOAD_CPU, withChildren = false } = options;
  const url = new URL(target.tokenEndpoint);
  let command;
  let args;
  let childEnv = process.env;
  let poolSize = 0;
  let poolEnv = {};
  if (req.pool) {
    if (!WRK) throw new Error('requests signed per request (private_key_jwt, DPoP) need wrk');
    // Signed before the CPU counters are read: the server does not see it, nor does the load's CPU.
    const guess = target.alg === 'RS256' || target.alg === 'PS256' ? 3000 : 15000;
    poolSize = Math.ceil((req.expectedRate ?? guess) * Math.max(1, Math.round(seconds)) * 1.5) + 1000;
    const { kind, items } = req.pool(poolSize);
    poolEnv = { BENCH_POOL_FILE: writePool(target.dir, items), BENCH_POOL_KIND: kind };
  }
  if (WRK) {
    [command, args] = pinned(loadCpu, 'wrk', [
      '-t1',
      `-c${connections}`,
      `-d${Math.max(1, Math.round(seconds))}s`,
      '--timeout',
      '5s',
      '-s',
      join(BENCH, 'load/token.lua'),
      url.href,
    ]);
    childEnv = {
      ...process.env,
      BENCH_BODY: req.body,
      BENCH_AUTHORIZATION: req.authorization,
      BENCH_UNKNOWN_PREFIX: req.unknownPrefix,
      // The connections spread out after their first answers (up to 64 ms at 32, 0.5 s at 256): token.lua.
      BENCH_CONNECTIONS: String(connections),
      BENCH_RAMP_MS: String(connections * 2),
      ...poolEnv,
    };
  } else {
    const job = {
      origin: url.origin,
      path: url.pathname,
      body: req.body,
      authorization: req.authorization,
      unknownPrefix: req.unknownPrefix,
      connections,
      seconds: Math.max(1, Math.round(seconds)),
      amount,
    };
    [command, args] = pinned(loadCpu, process.execPath, [
      join(BENCH, 'load/autocannon-worker.mjs'),
      JSON.stringify(job),
    ]);
  }
  if (!procStat(target.proc.pid)) throw new Error(`${target.name} is not running:\n${logTail(target.proc)}`);
  const pids = withChildren ? [target.proc.pid, ...workerPids(target.proc.pid)] : [target.proc.pid];
  const serverCpuTicks = () => pids.reduce((n, pid) => n + (procStat(pid)?.self ?? Number.NaN), 0);
  const serverBefore = serverCpuTicks();
  const loadBefore = procStat(process.pid).children;
  const serverCpuBefore = cpuBusy(SERVER_CPU);
  const loadCpuBefore = cpuBusy(LOAD_CPU);
  const selfBefore = procStat(process.pid).self;
  const started = performance.now();
  const child = spawn(command, args, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => {
    out += c;
  });
  child.stderr.on('data', (c) => {
    err += c;
  });
  const code = await new Promise((resolve) => child.once('close', resolve));
  running.delete(child);
  const wall = (performance.now() - started) / 1000;
  const serverTicks = serverCpuTicks() - serverBefore;
  if (Number.isNaN(serverTicks))
    throw new Error(`${target.name} died during the run:\n${logTail(target.proc)}`);
  const loadTicks = procStat(process.pid).children - loadBefore;
  const selfTicks = procStat(process.pid).self - selfBefore;
  // What else ran on the two benchmark CPUs meanwhile (other processes on this machine).
  const otherServerCpu = cpuBusy(SERVER_CPU) - serverCpuBefore - serverTicks;
  const otherLoadCpu = cpuBusy(LOAD_CPU) - loadCpuBefore - loadTicks - selfTicks;
  const line = out.split('\n').find((l) => l.startsWith('BENCHJSON '));
  if (code !== 0 || !line)
    throw new Error(`${LOADGEN} failed (exit ${code}): ${err.slice(0, 500)}${out.slice(0, 500)}`);
  const s = JSON.parse(line.slice('BENCHJSON '.length));
  if (req.pool) {
    req.expectedRate = Math.max(req.expectedRate ?? 0, s.requests / (s.duration_us / 1e6));
  }
  // Had it (the replays are refused: they show as non-2xx).
  const poolRanOut = req.pool !== undefined && s.requests > poolSize;
  const duration = s.duration_us / 1e6;
  const socketErrors = s.connect_errors + s.read_errors + s.write_errors + s.timeouts;
  return derive({
    connections,
    unpinned: loadCpu !== LOAD_CPU,
    ...(poolRanOut && { poolRanOut }),
    requests: s.requests,
    duration,
    non2xx: s.status_errors,
    socketErrors,
    p50ms: s.p50_us / 1000,
    p90ms: s.p90_us / 1000,
    p99ms: s.p99_us / 1000,
    maxms: s.max_us / 1000,
    wall,
    serverTicks,
    loadTicks,
    otherServerTicks: Math.max(0, otherServerCpu),
    otherLoadTicks: Math.max(0, otherLoadCpu),
  });
}

/** Rates and shares from the raw counts of one run (or of several added up). */
function derive(raw) {
  const { requests, duration, wall, serverTicks, loadTicks } = raw;
  return {
    ...raw,
    reqPerSec: requests / duration,
    tokensPerSec: (requests - raw.non2xx) / duration,
    serverCpu: (serverTicks / CLK_TCK / wall) * 100,
    loadCpu: (loadTicks / CLK_TCK / wall) * 100,
    cpuMicrosPerToken: ((serverTicks / CLK_TCK) * 1e6) / Math.max(1, requests),
    // Unpinned runs (the WORKERS comparison) share both CPUs: "other" has no meaning there.
    otherServerCpu: TASKSET && !raw.unpinned ? (raw.otherServerTicks / CLK_TCK / wall) * 100 : undefined,
    otherLoadCpu: TASKSET && !raw.unpinned ? (raw.otherLoadTicks / CLK_TCK / wall) * 100 : undefined,
  };
}

/**
 * Several rounds as one run: counts added up, p50 the median of the rounds', p99 the worst (and
 * the rounds' median p99, which the tail targets compare: one round in which the load generator's
 * connections fell into step, see token.lua, would otherwise decide them for either server).
 */
export function combine(runs) {
  const sum = (key) => runs.reduce((n, r) => n + r[key], 0);
  const p50s = runs.map((r) => r.p50ms).sort((a, b) => a - b);
  const p99s = runs.map((r) => r.p99ms).sort((a, b) => a - b);
  const rates = runs.map((r) => r.reqPerSec);
  const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
  return {
    ...derive({
      connections: runs[0].connections,
      unpinned: runs[0].unpinned,
      requests: sum('requests'),
      duration: sum('duration'),
      non2xx: sum('non2xx'),
      socketErrors: sum('socketErrors'),
      p50ms: p50s[Math.floor((p50s.length - 1) / 2)],
      p90ms: Math.max(...runs.map((r) => r.p90ms)),
      p99ms: Math.max(...runs.map((r) => r.p99ms)),
      maxms: Math.max(...runs.map((r) => r.maxms)),
      wall: sum('wall'),
      serverTicks: sum('serverTicks'),
      loadTicks: sum('loadTicks'),
      otherServerTicks: sum('otherServerTicks'),
      otherLoadTicks: sum('otherLoadTicks'),
    }),
    rounds: runs.map((r) => ({
      reqPerSec: Math.round(r.reqPerSec),
      cpuMicrosPerToken: Math.round(r.cpuMicrosPerToken * 10) / 10,
      p99ms: r.p99ms,
    })),
    p99MedianMs: p99s[Math.floor((p99s.length - 1) / 2)],
    // How far the rounds' rates lay apart, in % of their mean: the noise of this machine.
    spread: rates.length > 1 ? ((Math.max(...rates) - Math.min(...rates)) / mean) * 100 : 0,
  };
}
