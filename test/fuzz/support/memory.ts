import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | null | undefined;

/**
 * A full garbage collection when one can be had: `gc` under --expose-gc, or the same function
 * exposed at run time (npm test passes no flag). Null when neither works: callers then rely on
 * settling rounds and slack alone.
 */
function garbageCollector(): (() => void) | null {
  if (collect !== undefined) return collect;
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') {
    collect = exposed;
    return collect;
  }
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    collect = typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    collect = null;
  }
  return collect;
}

/**
 * The heap in use once the process has settled: a few rounds of timers (so that pending work and
 * its garbage go) and collections where possible; the smallest reading counts.
 */
export async function settledHeapUsed(rounds = 5): Promise<number> {
  const gc = garbageCollector();
  let smallest = Number.POSITIVE_INFINITY;
  for (let round = 0; round < rounds; round++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    await new Promise((resolve) => setImmediate(resolve));
    gc?.();
    smallest = Math.min(smallest, process.memoryUsage().heapUsed);
  }
  return smallest;
}

/** Whether settledHeapUsed() can force collections (the slack can be tighter then). */
export function canCollectGarbage(): boolean {
  return garbageCollector() !== null;
}

export const MiB = 1024 * 1024;
