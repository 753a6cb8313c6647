import type { Client } from '../domain/client-directory.js';
import { secretMatches } from '../domain/client-secrets.js';
import type { ClientCredentials } from './client-credentials.js';
import { invalidClient, OAuthError } from './errors.js';
import type { OAuthContext } from './ports.js';

/** One answer for an unknown client_id and a wrong secret, so neither tells an attacker anything. */
export const AUTHENTICATION_FAILED = 'client authentication failed: unknown client_id or wrong client_secret';

/**
 * Checks the credentials against the cached client. An unknown client is compared against no
 * digests by the same code, so it costs what a wrong secret costs.
 */
export async function authenticateClient(
  credentials: ClientCredentials,
  sourceIp: string,
  context: Pick<OAuthContext, 'clients' | 'clock' | 'failedAuthentications' | 'throttle'>,
): Promise<Client> {
  const wait = context.throttle.retryAfter(credentials.clientId, sourceIp);
  if (wait > 0) {
    throw new OAuthError(
      'temporarily_unavailable',
      `too many failed client authentications from this address: retry in ${wait} s`,
      429,
      { 'Retry-After': String(wait) },
    );
  }
  const client = await context.clients.find(credentials.clientId);
  const now = context.clock.now();
  const digests = (client?.secrets ?? [])
    .filter((s) => s.expiresAt === null || s.expiresAt > now)
    .map((s) => s.digest);
  const matched = secretMatches(credentials.clientSecret, digests);
  if (client === null || !matched) {
    context.failedAuthentications.note(credentials.clientId, sourceIp);
    throw invalidClient(AUTHENTICATION_FAILED, credentials.method === 'client_secret_basic');
  }
  if (!client.active)
    throw invalidClient('the application is disabled', credentials.method === 'client_secret_basic');
  return client;
}
