import type { CheckOptions } from './property.js';

/** The seed CI runs with, so that a red run can be replayed exactly. */
export const CI_SEED = 20_261_128;

/**
 * How a fuzz test checks a property: the fixed CI seed and `runs` runs, unless FUZZ_SEED, FUZZ_RUNS
 * or FUZZ_PATH (a counterexample's path, to replay just it) say otherwise.
 */
export function fuzzSettings(runs: number): CheckOptions {
  const env = process.env;
  const seed = env.FUZZ_SEED === undefined ? CI_SEED : Number(env.FUZZ_SEED);
  const numRuns = env.FUZZ_RUNS === undefined ? runs : Number(env.FUZZ_RUNS);
  if (!Number.isInteger(seed)) throw new Error(`FUZZ_SEED must be an integer, got '${env.FUZZ_SEED}'`);
  if (!(numRuns > 0)) throw new Error(`FUZZ_RUNS must be a positive number, got '${env.FUZZ_RUNS}'`);
  // Shrinking a server-backed property can take long on a slow machine: the check is bounded.
  return { seed, numRuns, path: env.FUZZ_PATH || undefined, timeLimitMs: 60_000 };
}
