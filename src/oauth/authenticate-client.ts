import type { Client } from '../domain/client.js';
import { secretMatches } from '../domain/client-secrets.js';
import type { ClientCredentials } from './client-credentials.js';
import { invalidClient, OAuthError } from './errors.js';
import type { OAuthContext } from './ports.js';

/** One answer for an unknown client_id and a wrong secret, so neither tells an attacker anything. */
export const AUTHENTICATION_FAILED = 'client authentication failed: unknown client_id or wrong client_secret';
/** The longest client_id we issue: a UUID. A longer one names no client, and is not kept anywhere. */
export const MAX_CLIENT_ID_LENGTH = 36;

/**
 * Checks the credentials against the cached client, before anything else: a request with valid
 * credentials is never refused by the failure throttle, whatever others did from its address or
 * in its name. An unknown client is compared against no digests by the same code, so it costs what
 * a wrong secret costs, and both are counted and throttled alike (by the client_id sent).
 */
export async function authenticateClient(
  credentials: ClientCredentials,
  sourceIp: string,
  context: Pick<OAuthContext, 'clients' | 'clock' | 'failedAuthentications'>,
): Promise<Client> {
  const basic = credentials.method === 'client_secret_basic';
  // Refused before it is looked up, counted or audited: a flood of long ids costs no memory or disk.
  if (credentials.clientId.length > MAX_CLIENT_ID_LENGTH) throw invalidClient(AUTHENTICATION_FAILED, basic);
  const client = await context.clients.find(credentials.clientId);
  const now = context.clock.now();
  const digests = (client?.secrets ?? [])
    .filter((s) => s.expiresAt === null || s.expiresAt > now)
    .map((s) => s.digest);
  const matched = secretMatches(credentials.clientSecret, digests);
  if (client === null || !matched) {
    const wait = context.failedAuthentications.record(credentials.clientId, sourceIp);
    if (wait > 0) {
      throw new OAuthError(
        'temporarily_unavailable',
        `too many failed client authentications: retry in ${wait} s`,
        429,
        { 'Retry-After': String(wait) },
      );
    }
    throw invalidClient(AUTHENTICATION_FAILED, basic);
  }
  if (!client.active) throw invalidClient('the application is disabled', basic);
  return client;
}
