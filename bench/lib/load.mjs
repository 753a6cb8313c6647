// Load: wrk or autocannon on LOAD_CPU, and the CPU both sides used (npm run bench: bench/run.mjs).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { cpuBusy, logTail, procStat, running } from './processes.mjs';
import { BENCH, CONNECTIONS, LOAD_CPU, SERVER_CPU } from './settings.mjs';
import { CLK_TCK, LOADGEN, pinned, TASKSET, WRK } from './tools.mjs';

export async function runLoad(target, req, seconds, { amount } = {}) {
  const url = new URL(target.tokenEndpoint);
  let command;
  let args;
  let childEnv = process.env;
  if (WRK) {
    [command, args] = pinned(LOAD_CPU, 'wrk', [
      '-t1',
      `-c${CONNECTIONS}`,
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
    };
  } else {
    const job = {
      origin: url.origin,
      path: url.pathname,
      body: req.body,
      authorization: req.authorization,
      unknownPrefix: req.unknownPrefix,
      connections: CONNECTIONS,
      seconds: Math.max(1, Math.round(seconds)),
      amount,
    };
    [command, args] = pinned(LOAD_CPU, process.execPath, [
      join(BENCH, 'load/autocannon-worker.mjs'),
      JSON.stringify(job),
    ]);
  }
  if (!procStat(target.proc.pid)) throw new Error(`${target.name} is not running:\n${logTail(target.proc)}`);
  const serverBefore = procStat(target.proc.pid).self;
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
  const serverAfter = procStat(target.proc.pid);
  if (!serverAfter) throw new Error(`${target.name} died during the run:\n${logTail(target.proc)}`);
  const serverTicks = serverAfter.self - serverBefore;
  const loadTicks = procStat(process.pid).children - loadBefore;
  const selfTicks = procStat(process.pid).self - selfBefore;
  // What else ran on the two benchmark CPUs meanwhile (other processes on this machine).
  const otherServerCpu = cpuBusy(SERVER_CPU) - serverCpuBefore - serverTicks;
  const otherLoadCpu = cpuBusy(LOAD_CPU) - loadCpuBefore - loadTicks - selfTicks;
  const line = out.split('\n').find((l) => l.startsWith('BENCHJSON '));
  if (code !== 0 || !line)
    throw new Error(`${LOADGEN} failed (exit ${code}): ${err.slice(0, 500)}${out.slice(0, 500)}`);
  const s = JSON.parse(line.slice('BENCHJSON '.length));
  const duration = s.duration_us / 1e6;
  const socketErrors = s.connect_errors + s.read_errors + s.write_errors + s.timeouts;
  return derive({
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
    otherServerCpu: TASKSET ? (raw.otherServerTicks / CLK_TCK / wall) * 100 : undefined,
    otherLoadCpu: TASKSET ? (raw.otherLoadTicks / CLK_TCK / wall) * 100 : undefined,
  };
}

/** Several rounds as one run: counts added up, p50 the median of the rounds', p99 the worst. */
export function combine(runs) {
  const sum = (key) => runs.reduce((n, r) => n + r[key], 0);
  const p50s = runs.map((r) => r.p50ms).sort((a, b) => a - b);
  const rates = runs.map((r) => r.reqPerSec);
  const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
  return {
    ...derive({
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
    // How far the rounds' rates lay apart, in % of their mean: the noise of this machine.
    spread: rates.length > 1 ? ((Math.max(...rates) - Math.min(...rates)) / mean) * 100 : 0,
  };
}
