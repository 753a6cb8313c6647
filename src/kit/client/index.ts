// lean-auth/client: client-credentials tokens for a backend, cached and retried.
export { TokenRequestError, TokenServerUnavailableError } from './errors.js';
export type { RetryPolicy } from './retry.js';
export { CUSTOMER_MIN_VALIDITY_MS, type ClientToken } from './token-cache.js';
export { createTokenClient, type TokenClient, type TokenClientOptions } from './token-client.js';
