import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../domain/clock.js';
import { OAuthError } from './errors.js';

/**
 * DPoP server nonces (RFC 9449 §8), stateless: a nonce is an HMAC of the current time window under
 * a key every instance derives from the same secret (KEY_ENCRYPTION_KEY), so any instance accepts
 * another's nonce with no shared store, no write and no network call. A nonce is good for the
 * window it was made in and the next one: between one and two windows, long enough for a client's
 * retry, short enough that a proof captured with it soon stops working.
 */
export const DPOP_NONCE_WINDOW_MS = 5 * 60_000;

export class DpopNonces {
  private cached: { window: number; nonce: string } | undefined;

  constructor(
    private readonly key: () => Buffer,
    private readonly clock: Clock,
  ) {}

  /** The nonce of the current window, for the DPoP-Nonce header. */
  current(): string {
    const window = Math.floor(this.clock.now() / DPOP_NONCE_WINDOW_MS);
    if (this.cached?.window !== window) this.cached = { window, nonce: this.nonceOf(window) };
    return this.cached.nonce;
  }

  /** Whether `nonce` is this window's or the previous one's (made by any instance). */
  accepts(nonce: unknown): boolean {
    if (typeof nonce !== 'string' || nonce.length !== NONCE_LENGTH) return false;
    const given = Buffer.from(nonce);
    const window = Math.floor(this.clock.now() / DPOP_NONCE_WINDOW_MS);
    // The current window's nonce is the cached one; only the previous window's is computed here.
    return (
      timingSafeEqual(given, Buffer.from(this.current())) ||
      timingSafeEqual(given, Buffer.from(this.nonceOf(window - 1)))
    );
  }

  private nonceOf(window: number): string {
    return createHmac('sha256', this.key()).update(`dpop-nonce:${window}`).digest('base64url');
  }
}

/** A SHA-256 HMAC in base64url, without padding. */
const NONCE_LENGTH = 43;

/** RFC 9449 §8: 400 use_dpop_nonce, with the nonce to use in the DPoP-Nonce header. */
export const useDpopNonce = (description: string, nonce: string): OAuthError =>
  new OAuthError('use_dpop_nonce', description, 400, {
    'WWW-Authenticate': `DPoP error="use_dpop_nonce", error_description="${description}"`,
    'DPoP-Nonce': nonce,
  });
