import { userInfo } from 'node:os';
import type { Services } from '../server/services.js';
import type { CommandInput } from './command.js';

/**
 * Runs `work` over the services of the configured store, and closes the store after; what the
 * services warn about goes to the command's stderr.
 */
export async function withServices<T>(
  { config, io }: Pick<CommandInput, 'config' | 'io'>,
  work: (services: Services) => Promise<T>,
): Promise<T> {
  // Loaded when a command opens the store, not with the CLI (--help and `token` need no store).
  const { openServices } = await import('../server/services.js');
  const services = await openServices(config, {
    warn: (message) => io.stderr.write(`warning: ${message}\n`),
    error: (_object, message) => io.stderr.write(`error: ${message}\n`),
  });
  try {
    return await work(services);
  } finally {
    await services.close();
  }
}

/** Who the audit log names for what the CLI does: the operating-system user. */
export const CLI_ACTOR = `cli:${safeUserName()}`;

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
