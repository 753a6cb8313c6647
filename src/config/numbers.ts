import { availableParallelism } from 'node:os';
import { DURATION_FORMS, formatDuration, parseDurationSeconds } from './duration.js';

/** The bounds of a numeric setting; `why` is told when a value falls outside them. */
export interface Bounds {
  readonly fallback: number;
  readonly min: number;
  readonly max: number;
  readonly why?: string | undefined;
}

/** A whole-number setting (a port, say) within bounds; `fallback` when unset or refused. */
export function integer(name: string, raw: string | undefined, bounds: Bounds, problems: string[]): number {
  if (raw === undefined) return bounds.fallback;
  const { min, max } = bounds;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    problems.push(`${name} must be a whole number from ${min} to ${max}, got '${raw}'`);
    return bounds.fallback;
  }
  return value;
}

/** A duration setting in seconds, within bounds; every one takes the forms of parseDurationSeconds. */
export function duration(name: string, raw: string | undefined, bounds: Bounds, problems: string[]): number {
  if (raw === undefined) return bounds.fallback;
  const value = parseDurationSeconds(raw);
  if (value === undefined || value < bounds.min || value > bounds.max) {
    const limit = (s: number) => (s < 60 ? `${s}` : `${formatDuration(s)} (${s} s)`);
    problems.push(
      `${name} must be a duration from ${limit(bounds.min)} to ${limit(bounds.max)}, ${DURATION_FORMS}, ` +
        `got '${raw}'${bounds.why ? ` (${bounds.why})` : ''}`,
    );
    return bounds.fallback;
  }
  return value;
}

/** KEY_ROTATION_INTERVAL in milliseconds: 0 for never, else at least an hour. Default 30d. */
export function rotationInterval(raw: string | undefined, problems: string[]): number {
  if (raw === undefined) return 30 * 86_400_000;
  const value = parseDurationSeconds(raw);
  if (value === undefined || (value > 0 && value < 3600)) {
    problems.push(
      `KEY_ROTATION_INTERVAL must be 0 (never) or a duration of at least 1h such as 30d, 12h or 3600s, got '${raw}'`,
    );
    return 30 * 86_400_000;
  }
  return value * 1000;
}

/** The most worker processes WORKERS may ask for: far more than any machine has CPUs. */
const MAX_WORKERS = 256;

/** WORKERS: `auto` (one per CPU) or a count. */
export function parseWorkers(raw: string | undefined, problems: string[]): number {
  if (raw === undefined) return 1;
  if (raw === 'auto') return availableParallelism();
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > MAX_WORKERS) {
    problems.push(`WORKERS must be 'auto' or a whole number from 1 to ${MAX_WORKERS}, got '${raw}'`);
    return 1;
  }
  return value;
}
