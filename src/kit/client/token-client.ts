import { discover } from '../verify/discovery.js';
import type { RetryPolicy } from './retry.js';
import { type ClientToken, TokenCache } from './token-cache.js';
import { requestToken } from './token-request.js';

export interface TokenClientOptions {
  /** The authorization server's issuer; its token endpoint is found through discovery. */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The token endpoint, to skip discovery. */
  readonly tokenEndpoint?: string;
  /** Per attempt. Default 10 s. */
  readonly timeoutMs?: number;
  readonly retry?: RetryPolicy;
  /** How many scopes' tokens are kept (customers come and go). Default 1,000. */
  readonly maxCachedTokens?: number;
}

export interface TokenClient {
  /** A token for `scope` (`api` or `customer.<customer_id>`), from the cache while it is fresh enough. */
  getToken(request: { scope: string }): Promise<ClientToken>;
}

/**
 * A client-credentials token client: tokens cached until shortly before they expire (customer
 * tokens handed out with at least 10 minutes left), one request in flight per scope however many
 * callers wait, retries with backoff. The secret is only ever sent to the token endpoint.
 */
export function createTokenClient(options: TokenClientOptions): TokenClient {
  const cache = new TokenCache(options.maxCachedTokens ?? 1_000);
  const inFlight = new Map<string, Promise<ClientToken>>();
  let endpoint: Promise<string> | undefined;
  const tokenEndpoint = () => {
    endpoint ??= (
      options.tokenEndpoint !== undefined
        ? Promise.resolve(options.tokenEndpoint)
        : discover(options.issuer, options.timeoutMs).then((metadata) => metadata.token_endpoint)
    ).catch((error: unknown) => {
      endpoint = undefined;
      throw error;
    });
    return endpoint;
  };

  const fetchToken = async (scope: string) => {
    const token = await requestToken({
      tokenEndpoint: await tokenEndpoint(),
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      scope,
      timeoutMs: options.timeoutMs ?? 10_000,
      retry: options.retry ?? {},
    });
    cache.set(scope, token);
    return token;
  };

  return {
    getToken({ scope }) {
      const cached = cache.get(scope);
      if (cached !== undefined) return Promise.resolve(cached);
      let pending = inFlight.get(scope);
      if (pending === undefined) {
        pending = fetchToken(scope).finally(() => inFlight.delete(scope));
        inFlight.set(scope, pending);
      }
      return pending;
    },
  };
}
