// The tools it runs: taskset, wrk (or autocannon), strace (npm run bench: bench/run.mjs).
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { env, ROOT } from './settings.mjs';

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
export const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
export const TASKSET = has('taskset') && cpus().length >= 2;
export const WANT_LOADGEN = env.BENCH_LOADGEN ?? 'wrk';
export const WRK = WANT_LOADGEN === 'wrk' && has('wrk');
export const LOADGEN = WRK ? 'wrk' : 'autocannon';
export const STRACE = has('strace');
export const pinned = (cpu, command, args) =>
  TASKSET ? ['taskset', ['-c', cpu, command, ...args]] : [command, args];

export function loadgenVersion() {
  if (WRK) return spawnSync('wrk', ['-v']).stdout.toString().split('\n')[0].trim();
  return `autocannon ${packageVersion('autocannon')} (library API, in its own process)`;
}

export function packageVersion(name) {
  return JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
}
