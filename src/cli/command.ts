import type { ParseArgsConfig } from 'node:util';
import type { Config } from '../config/config.js';
import type { CliIo } from './io.js';

/** What a command prints: `json` under --json, `text` otherwise. */
interface CommandOutput {
  readonly json: unknown;
  readonly text: string;
}

export interface CommandInput {
  readonly config: Config;
  readonly values: Record<string, string | boolean | undefined>;
  readonly positionals: readonly string[];
  readonly io: CliIo;
}

export interface Command {
  readonly usage: string;
  readonly summary: string;
  /** More lines for `--help`, such as what a placeholder of the usage stands for. */
  readonly details?: string;
  readonly options?: NonNullable<ParseArgsConfig['options']>;
  /** How many positional arguments the command takes. */
  readonly positionals?: number;
  run(input: CommandInput): Promise<CommandOutput>;
}

/** A mistake in how the command was called; exits with status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
