import { TokenRequestError, TokenServerUnavailableError } from './errors.js';
import { isRetryableStatus, type RetryPolicy, retryDelayMs } from './retry.js';
import type { ClientToken } from './token-cache.js';

export interface TokenRequest {
  readonly tokenEndpoint: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scope: string;
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
}

/**
 * POSTs a client-credentials request (client_secret_post, as the contract has it) and reads the
 * token; retries network errors, timeouts, 5xx and a 429 that is not an OAuth error. Errors name the endpoint and the status,
 * never the request's body (which holds the secret).
 */
export async function requestToken(request: TokenRequest): Promise<ClientToken> {
  const attempts = Math.max(1, request.retry.attempts ?? 4);
  let lastProblem = '';
  for (let attempt = 0; attempt < attempts; attempt++) {
    let retryAfter: string | null = null;
    try {
      const response = await post(request);
      if (response.ok) return await readToken(response, request.scope);
      if (!isRetryableStatus(response.status)) throw refusal(response.status, await errorBody(response));
      // lean-auth answers failed client authentication with 429 temporarily_unavailable once it
      // throttles: waiting would not mend a wrong secret, so an OAuth error in a 429 is a refusal.
      // A 429 without one (a proxy's rate limit) is retried.
      if (response.status === 429) {
        const body = await errorBody(response);
        if (typeof body.error === 'string') throw refusal(response.status, body);
      }
      retryAfter = response.headers.get('retry-after');
      lastProblem = `answered ${response.status}`;
      if (!response.bodyUsed) await response.body?.cancel();
    } catch (error) {
      if (error instanceof TokenRequestError) throw error;
      lastProblem =
        error instanceof Error && error.name === 'TimeoutError'
          ? 'did not answer in time'
          : 'is out of reach';
    }
    if (attempt + 1 < attempts) await sleep(retryDelayMs(attempt, retryAfter, request.retry));
  }
  throw new TokenServerUnavailableError(
    `the token endpoint ${request.tokenEndpoint} ${lastProblem} (${attempts} attempts)`,
  );
}

function post(request: TokenRequest): Promise<Response> {
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: request.clientId,
    client_secret: request.clientSecret,
    scope: request.scope,
  });
  return fetch(request.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: body.toString(),
    // A 307/308 would re-POST the secret to wherever it points: a redirect is answered as a refusal.
    redirect: 'manual',
    signal: AbortSignal.timeout(request.timeoutMs),
  });
}

async function readToken(response: Response, requestedScope: string): Promise<ClientToken> {
  const body = (await response.json()) as { access_token?: unknown; expires_in?: unknown; scope?: unknown };
  if (typeof body.access_token !== 'string' || typeof body.expires_in !== 'number') {
    throw new TokenServerUnavailableError(
      'the token endpoint answered 200 without access_token and expires_in',
    );
  }
  return {
    accessToken: body.access_token,
    expiresAt: Date.now() + body.expires_in * 1000,
    scope: typeof body.scope === 'string' ? body.scope : requestedScope,
  };
}

interface ErrorBody {
  readonly error?: unknown;
  readonly error_description?: unknown;
}

/** An RFC 6749 §5.2 error body, or {} when the body is not JSON. */
async function errorBody(response: Response): Promise<ErrorBody> {
  const body: unknown = await response.json().catch(() => ({}));
  return typeof body === 'object' && body !== null ? body : {};
}

function refusal(status: number, body: ErrorBody): TokenRequestError {
  return new TokenRequestError(
    typeof body.error === 'string' ? body.error : `http_${status}`,
    typeof body.error_description === 'string' ? body.error_description : undefined,
    status,
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
