import { userInfo } from 'node:os';
import type { Config } from '../config/config.js';
import { openServices, type Services } from '../server/services.js';

/** Runs `work` over the services of the configured store, and closes the store after. */
export async function withServices<T>(config: Config, work: (services: Services) => Promise<T>): Promise<T> {
  const services = await openServices(config, {
    warn: (message) => process.stderr.write(`warning: ${message}\n`),
    error: (_object, message) => process.stderr.write(`error: ${message}\n`),
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
