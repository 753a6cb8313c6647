// lean-auth/client: client-credentials tokens for a backend, cached and retried.
export { TokenRequestError, TokenServerUnavailableError } from './errors.js';
export type { RetryPolicy } from './retry.js';
export { type ClientToken, CUSTOMER_MIN_VALIDITY_MS } from './token-cache.js';
export { createTokenClient, type TokenClient, type TokenClientOptions } from './token-client.js';
