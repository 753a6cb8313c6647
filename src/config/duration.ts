const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** The forms every duration setting takes, for messages. */
export const DURATION_FORMS = 'a whole number of seconds, or one with a unit: 90s, 15m, 12h, 30d';

/**
 * A duration as every setting writes it: whole seconds (`3600`) or a whole number with one unit,
 * `s`, `m`, `h` or `d` (`3600s`, `60m`, `1h`, `1d`). Undefined when `raw` is not one.
 */
export function parseDurationSeconds(raw: string): number | undefined {
  const match = /^(\d+)([smhd]?)$/.exec(raw);
  if (!match) return undefined;
  const seconds = Number(match[1]) * (UNIT_SECONDS[match[2] || 's'] ?? 1);
  return Number.isSafeInteger(seconds * 1000) ? seconds : undefined;
}

/** Seconds in the largest unit that writes them exactly: 86400 → `1d`, 5400 → `90m`, 61 → `61s`. */
export function formatDuration(seconds: number): string {
  for (const unit of ['d', 'h', 'm'] as const) {
    const size = UNIT_SECONDS[unit] ?? 1;
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}
