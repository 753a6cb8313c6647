import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = resolve(BENCH, '..');
export const BUILT_CLI = join(ROOT, 'dist/src/cli/bin.js');
// The servers run from a copy of dist/ taken at the start, so that a rebuild during the run (which
// empties dist/) cannot break or mix the measurements. It lives under bench/ so that packages
// resolve from the project's node_modules as they do for dist/.
export const SNAPSHOT = join(BENCH, '.dist-snapshot');
export const CLI = join(SNAPSHOT, 'src/cli/bin.js');

export const env = process.env;
const list = (value, fallback) =>
  (value ?? fallback)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
export const SECONDS = positive(env.BENCH_SECONDS, 10);
export const WARMUP = positive(env.BENCH_WARMUP, 2);
/**
 * Seconds of load before every measured round of every server (0: none): a server that sat idle
 * while the others were measured has shrunk its young generation, and would pay for regrowing it
 * in the round that follows.
 */
export const ROUND_WARMUP = nonNegative(env.BENCH_ROUND_WARMUP, 1);
export const CONNECTIONS = positive(env.BENCH_CONNECTIONS, 32);
/** The second connection count the tail (p99) is measured at, for TAIL_ALGS' api tokens. */
export const TAIL_CONNECTIONS = positive(env.BENCH_TAIL_CONNECTIONS, 256);
export const ALL = env.BENCH_ALL === '1';
export const ALGS = list(env.BENCH_ALGS, 'RS256,PS256,ES256,EdDSA');
export const TARGETS = list(env.BENCH_TARGETS, 'lean-auth,oidc-provider,floor');
export const BASIC_ALGS = list(env.BENCH_BASIC_ALGS, ALGS.join(','));
export const TAIL_ALGS = list(env.BENCH_TAIL_ALGS, 'ES256').filter((a) => ALGS.includes(a));
/** Algorithms whose lean-auth also gets the private_key_jwt and DPoP rows (issue 14). */
export const CLIENT_AUTH_ALGS = list(env.BENCH_CLIENT_AUTH_ALGS, 'ES256').filter((a) => ALGS.includes(a));
/** Applications created before the second start-to-first-token measurement. */
export const START_APPS = Math.round(nonNegative(env.BENCH_START_APPS, 10_000));
/** Starts measured for each of the two start-to-first-token figures (the median is the verdict). */
export const START_RUNS = Math.round(positive(env.BENCH_START_RUNS, 3));
export const WORKERS_STEP = ALL || env.BENCH_WORKERS === '1';
export const FLOOD_STEP = ALL || env.BENCH_FLOOD === '1';
export const SERVER_CPU = env.BENCH_SERVER_CPU ?? '0';
export const LOAD_CPU = env.BENCH_LOAD_CPU ?? '1';
export const PG_URL = env.BENCH_DATABASE_URL || undefined;
export const MILLION = ALL || env.BENCH_MILLION === '1';
export const MILLION_TOKENS = positive(env.BENCH_MILLION_TOKENS, 1_000_000);
export const PROFILE = env.BENCH_PROFILE === '1';
export const STRACE_SECONDS = positive(env.BENCH_STRACE_SECONDS, 3);
export const STRICT = env.BENCH_STRICT === '1';
export const QUIET_LIMIT = positive(env.BENCH_QUIET_LIMIT, 15);
export const QUIET_RUN_MAX = positive(env.BENCH_QUIET_WAIT, 15) * 1000;
/** What is left of the time the run may spend waiting for a quiet machine (ms); rounds spend it. */
export const quiet = { budget: positive(env.BENCH_QUIET_BUDGET, 120) * 1000 };
export const RETRIES = env.BENCH_RETRIES === '0' ? 0 : Math.round(positive(env.BENCH_RETRIES, 1));
export const ROUNDS = Math.round(positive(env.BENCH_ROUNDS, 5));
/**
 * A run is disturbed when other processes took more than this share (%) of the server's CPU, or left
 * the load generator less than it needed on its own CPU.
 */
const DISTURBED = 5;
export const disturbed = (r) =>
  r.otherServerCpu !== undefined &&
  (r.otherServerCpu > DISTURBED || (r.serverCpu < 95 && r.otherLoadCpu > 20));
const ALG_CHECK = ['RS256', 'PS256', 'ES256', 'EdDSA'];
for (const alg of ALGS) if (!ALG_CHECK.includes(alg)) fail(`BENCH_ALGS: unknown algorithm '${alg}'`);

function positive(raw, fallback) {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) fail(`expected a positive number, got '${raw}'`);
  return value;
}

function nonNegative(raw, fallback) {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) fail(`expected a number ≥ 0, got '${raw}'`);
  return value;
}

export function fail(message) {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

export const log = (line = '') => process.stdout.write(`${line}\n`);
