import type { Connection } from '../mcp/connection.js';
import { UsageError } from './command.js';

/** What `lean-auth token` and `lean-auth mcp` act as (a server and an application of it). */
export type KitEnvironment = Connection;

/** Reads the LEAN_AUTH_* variables of a client of the server (not the server's own configuration). */
export function readKitEnvironment(env: NodeJS.ProcessEnv = process.env): KitEnvironment {
  const missing = ['LEAN_AUTH_URL', 'LEAN_AUTH_CLIENT_ID', 'LEAN_AUTH_CLIENT_SECRET'].filter(
    (name) => !env[name],
  );
  if (missing.length > 0)
    throw new UsageError(`set ${missing.join(', ')} (the server's URL and the application's credentials)`);
  return {
    issuer: String(env.LEAN_AUTH_URL),
    clientId: String(env.LEAN_AUTH_CLIENT_ID),
    clientSecret: String(env.LEAN_AUTH_CLIENT_SECRET),
    audience: env.LEAN_AUTH_AUDIENCE || undefined,
    adminToken: env.LEAN_AUTH_ADMIN_TOKEN || undefined,
  };
}
