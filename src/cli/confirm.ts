import { UsageError } from './command.js';

/**
 * Commands that cannot be undone run only with --yes. Without it they say what they would destroy
 * and exit 2, having done nothing. No prompt, so that scripts behave the same with a terminal or
 * without one.
 */
export const CONFIRM_OPTION = { yes: { type: 'boolean' } } as const;

export function confirmed(values: Record<string, string | boolean | undefined>): boolean {
  return values.yes === true;
}

/** The refusal of an unconfirmed command: `what` it would do. */
export function unconfirmed(what: string): UsageError {
  return new UsageError(`${what}; this cannot be undone: add --yes to do it`);
}
