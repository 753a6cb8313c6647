/** The headings of docs/configuration.md, in order; every setting belongs under one. */
export const SECTIONS = ['Environment', 'Listening', 'Tokens', 'Storage', 'Admin', 'Scale-out'] as const;
export type Section = (typeof SECTIONS)[number];

/** What a setting's parser may use besides its own value. */
export interface ParseContext {
  /** Where a parser writes what is wrong with its value; loadConfig reports them all together. */
  readonly problems: string[];
  /** The folder relative paths are taken from. */
  readonly cwd: string;
  /** The parsed values of the settings above this one in the table (the issuer's default needs PORT). */
  readonly earlier: Readonly<Record<string, unknown>>;
}

/**
 * One row of the configuration table: the environment variable, the CLI flag that mirrors it, its
 * default, its parser, and its description. The table gives the `Config` type, the flags of every
 * command and docs/configuration.md.
 */
export interface Setting<K extends string, T> {
  /** The environment variable. */
  readonly name: string;
  /** The field of `Config` it fills. */
  readonly key: K;
  /** The CLI flag, or null for a secret: a command line is readable by every user of the machine. */
  readonly flag: `--${string}` | null;
  /** The value taken when the variable is unset (or empty). */
  readonly default?: string;
  /** What unset means when no one value is the default (documentation only). */
  readonly unset?: string;
  readonly section: Section;
  /** Markdown, one string a line; a line starting with '- ' is a nested list item. */
  readonly description: readonly string[];
  /** The value, or a fallback with a problem recorded in `context.problems`. */
  readonly parse: (raw: string | undefined, context: ParseContext) => T;
}

/** A row of the table, its key kept as a literal type so that the table can give `Config`. */
export function setting<K extends string, T>(row: Setting<K, T>): Setting<K, T> {
  return row;
}

/** Whether `value` is one of `allowed`, as that type. */
export function oneOf<T extends string>(value: string, allowed: readonly T[]): value is T {
  return (allowed as readonly string[]).includes(value);
}

/** An http(s) URL without query or fragment: what an issuer may be. */
export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && !url.search && !url.hash;
  } catch {
    return false;
  }
}
