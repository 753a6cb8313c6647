import type { Client } from '../domain/client.js';

export interface WarningLogger {
  warn(object: object, message: string): void;
}

/** One warning a minute per application at most: a dead jwks_uri must not flood the log. */
const WARNING_INTERVAL_MS = 60_000;
/** Entries kept for the interval; far more applications than that failing at once is not expected. */
const MAX_REMEMBERED = 10_000;

/**
 * Where a failed fetch of an application's jwks_uri is told: a warning naming the client_id, the
 * URI without its query (which could carry a credential) and why (timeout, size cap, status, an
 * address refused as private, not JSON, not a public key set). The request itself is refused as
 * invalid_client, which tells the client nothing of this.
 */
export function jwksFetchWarnings(
  logger: WarningLogger,
  now: () => number,
): (client: Client, uri: string, error: unknown) => void {
  const lastWarned = new Map<string, number>();
  return (client, uri, error) => {
    const at = now();
    const last = lastWarned.get(client.clientId);
    if (last !== undefined && at - last < WARNING_INTERVAL_MS) return;
    lastWarned.delete(client.clientId);
    lastWarned.set(client.clientId, at);
    for (const [clientId, when] of lastWarned) {
      if (at - when < WARNING_INTERVAL_MS && lastWarned.size <= MAX_REMEMBERED) break;
      lastWarned.delete(clientId);
    }
    logger.warn(
      {
        client_id: client.clientId,
        jwks_uri: withoutQuery(uri),
        reason: error instanceof Error ? error.message : String(error),
      },
      "fetching the application's jwks_uri failed: its private_key_jwt requests are refused as invalid_client",
    );
  };
}

function withoutQuery(uri: string): string {
  return URL.canParse(uri) ? `${new URL(uri).origin}${new URL(uri).pathname}` : '(not a URL)';
}
