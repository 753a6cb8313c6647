/** Small, dependency-free statistics for the timing measurement. */

/** A seeded pseudo-random generator (mulberry32): numbers in [0, 1), the same for the same seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The q-quantile (0 to 1) of `values`, linear between the nearest ranks. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.ceil(position);
  return (
    (sorted[below] as number) + ((sorted[above] as number) - (sorted[below] as number)) * (position - below)
  );
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);

/** Median of a resample (with replacement) of `values`, in place in `scratch`. */
function resampledMedian(values: Float64Array, scratch: Float64Array, random: () => number): number {
  const n = values.length;
  for (let i = 0; i < n; i++) scratch[i] = values[Math.floor(random() * n)] as number;
  scratch.sort();
  const middle = (n - 1) / 2;
  return ((scratch[Math.floor(middle)] as number) + (scratch[Math.ceil(middle)] as number)) / 2;
}

export interface MedianDifference {
  /** median(a) − median(b). */
  readonly difference: number;
  /** The bootstrap percentile confidence interval of the difference. */
  readonly low: number;
  readonly high: number;
  readonly confidence: number;
  /** Whether the interval leaves out zero: a difference the data can tell from none. */
  readonly distinguishable: boolean;
}

/**
 * The difference of the medians of `a` and `b` with a percentile bootstrap confidence interval:
 * both samples resampled with replacement `resamples` times, the interval between the
 * (1 − confidence)/2 and (1 + confidence)/2 quantiles of the resampled differences.
 */
export function bootstrapMedianDifference(
  a: readonly number[],
  b: readonly number[],
  options: { resamples?: number; confidence?: number; seed?: number } = {},
): MedianDifference {
  const resamples = options.resamples ?? 2000;
  const confidence = options.confidence ?? 0.95;
  const random = seededRandom(options.seed ?? 1);
  const first = Float64Array.from(a);
  const second = Float64Array.from(b);
  const scratchA = new Float64Array(first.length);
  const scratchB = new Float64Array(second.length);
  const differences: number[] = [];
  for (let r = 0; r < resamples; r++) {
    differences.push(resampledMedian(first, scratchA, random) - resampledMedian(second, scratchB, random));
  }
  const low = quantile(differences, (1 - confidence) / 2);
  const high = quantile(differences, (1 + confidence) / 2);
  return { difference: median(a) - median(b), low, high, confidence, distinguishable: low > 0 || high < 0 };
}
