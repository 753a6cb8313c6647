import { urlHasPassword } from '../config/database-url.js';
import { DURATION_FORMS, parseDurationSeconds } from '../config/duration.js';
import { SETTINGS } from '../config/settings/index.js';
import { UsageError } from './command.js';

/**
 * The configuration flags (`port` → `PORT`), from the configuration table: every setting but the
 * secrets, which stay out of argv (and `ps`).
 */
export const CONFIG_FLAGS: Readonly<Record<string, string>> = Object.fromEntries(
  SETTINGS.flatMap((row) => (row.flag === null ? [] : [[row.flag.slice(2), row.name]])),
);

/**
 * Refuses configuration flags (variable name → value) whose URL carries a password: every user of
 * the machine can read a command line (ps, /proc), not another user's environment.
 */
export function refusePasswordsInFlags(flags: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(flags)) {
    if (name.endsWith('_URL') && urlHasPassword(value)) {
      throw new UsageError(
        `--${flagOf(name)} carries a password, which any user of this machine ` +
          `can read in the process list: set ${name} in the environment instead`,
      );
    }
  }
}

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

/**
 * A duration option in seconds, in the forms every duration setting takes (3600, 60m, 1h);
 * `default` (where allowed) means null, back to the server default.
 */
export function durationSeconds(
  values: Record<string, string | boolean | undefined>,
  name: string,
  allowDefault = false,
): number | null | undefined {
  const raw = optional(values, name);
  if (raw === undefined) return undefined;
  if (allowDefault && raw === 'default') return null;
  const seconds = parseDurationSeconds(raw);
  if (seconds === undefined) {
    throw new UsageError(
      `--${name} must be a duration, ${DURATION_FORMS}${allowDefault ? ", or 'default'" : ''}; got '${raw}'`,
    );
  }
  return seconds;
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

/** The flag of a configuration variable, without its dashes. */
function flagOf(name: string): string | undefined {
  return Object.entries(CONFIG_FLAGS).find(([, variable]) => variable === name)?.[0];
}
