import { request } from 'node:http';

/** An application's credentials as the end-to-end tests hold them. */
export interface Credentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

/** A token endpoint's answer over a real socket. */
export interface TokenReply {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly body: Record<string, unknown>;
  /** How long the answer took, in milliseconds. */
  readonly ms: number;
}

/** The form of a client_credentials request with the secret in the body (client_secret_post). */
export function tokenForm(client: Credentials, scope = 'api'): URLSearchParams {
  return new URLSearchParams({
    grant_type: 'client_credentials',
    scope,
    client_id: client.clientId,
    client_secret: client.clientSecret,
  });
}

export interface TokenRequestOptions {
  readonly scope?: string;
  /** Headers added to the request (X-Forwarded-For, in the throttling tests). */
  readonly headers?: Record<string, string>;
  /** A request not answered by then fails the test rather than hanging it. */
  readonly timeoutMs?: number;
}

/** POST {base}/oauth2/token for `client`, over fetch. */
export async function requestToken(
  base: string,
  client: Credentials,
  { scope = 'api', headers = {}, timeoutMs = 10_000 }: TokenRequestOptions = {},
): Promise<TokenReply> {
  const started = Date.now();
  const response = await fetch(`${base}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: tokenForm(client, scope),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = (await response.json()) as Record<string, unknown>;
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body,
    ms: Date.now() - started,
  };
}

/**
 * A token request on a connection of its own (from `localAddress`, a loopback address, when given),
 * resolving with the status: a cluster's primary hands out connections, not requests, in turn, so
 * this is how requests reach every worker.
 */
export function requestTokenOnNewConnection(
  port: number,
  client: Credentials,
  localAddress?: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        ...(localAddress !== undefined && { localAddress }),
        path: '/oauth2/token',
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        timeout: 10_000,
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end(tokenForm(client).toString());
  });
}
