import type { Client } from '../domain/client-directory.js';
import { secretMatches } from '../domain/client-secrets.js';
import type { ClientCredentials } from './client-credentials.js';
import { invalidClient } from './errors.js';
import type { TokenEndpointContext } from './ports.js';

/** One answer for an unknown client_id and a wrong secret, so neither tells an attacker anything. */
export const AUTHENTICATION_FAILED = 'client authentication failed: unknown client_id or wrong client_secret';

/**
 * Checks the credentials against the cached client. An unknown client is compared against no
 * digests by the same code, so it costs what a wrong secret costs.
 */
export async function authenticateClient(
  credentials: ClientCredentials,
  context: Pick<TokenEndpointContext, 'clients' | 'clock'>,
): Promise<Client> {
  const client = await context.clients.find(credentials.clientId);
  const now = context.clock.now();
  const digests = (client?.secrets ?? [])
    .filter((s) => s.expiresAt === null || s.expiresAt > now)
    .map((s) => s.digest);
  const matched = secretMatches(credentials.clientSecret, digests);
  if (client === null || !matched)
    throw invalidClient(AUTHENTICATION_FAILED, credentials.method === 'client_secret_basic');
  if (!client.active)
    throw invalidClient('the application is disabled', credentials.method === 'client_secret_basic');
  return client;
}
