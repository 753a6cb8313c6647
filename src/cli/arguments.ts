import { UsageError } from './command.js';

/** A required string option. */
export function required(values: Record<string, string | boolean | undefined>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

/** A string option, or undefined when absent. */
export function optional(
  values: Record<string, string | boolean | undefined>,
  name: string,
): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A whole-number option; `default` (where allowed) means null, back to the server default. */
export function wholeNumber(
  values: Record<string, string | boolean | undefined>,
  name: string,
  allowDefault = false,
): number | null | undefined {
  const raw = optional(values, name);
  if (raw === undefined) return undefined;
  if (allowDefault && raw === 'default') return null;
  if (!/^\d+$/.test(raw)) {
    throw new UsageError(
      `--${name} must be a whole number${allowDefault ? " or 'default'" : ''}, got '${raw}'`,
    );
  }
  return Number(raw);
}

/** A comma-separated list option. */
export function list(
  values: Record<string, string | boolean | undefined>,
  name: string,
): string[] | undefined {
  return optional(values, name)
    ?.split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}
