/** The response headers several surfaces send, written once. */

/** Nothing caches an answer that carries a token, a secret or live state. */
export const NO_STORE = { 'Cache-Control': 'no-store' } as const;

/** RFC 6749 §5.1 for token responses and OAuth errors: no-store, and no-cache for HTTP/1.0 caches. */
export const NO_STORE_NO_CACHE = { ...NO_STORE, Pragma: 'no-cache' } as const;

/** A browser takes the Content-Type as sent, never sniffing a JSON body into something it runs. */
export const NOSNIFF = { 'X-Content-Type-Options': 'nosniff' } as const;
