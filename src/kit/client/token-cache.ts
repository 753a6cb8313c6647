/** An access token as the client hands it out. */
export interface ClientToken {
  readonly accessToken: string;
  /** When the token expires, in milliseconds since the epoch. */
  readonly expiresAt: number;
  readonly scope: string;
}

/** A customer token handed out keeps at least this long (the LinkSDK's rule). */
export const CUSTOMER_MIN_VALIDITY_MS = 10 * 60_000;
/** Any other token is renewed this long before it expires. */
const API_MIN_VALIDITY_MS = 60_000;

/** The validity a token of `scope` must still have to be handed out. */
function minValidityMs(scope: string): number {
  return scope.split(' ').some((s) => s.startsWith('customer.'))
    ? CUSTOMER_MIN_VALIDITY_MS
    : API_MIN_VALIDITY_MS;
}

/** Tokens by scope, least recently used out first beyond `maxEntries`. */
export class TokenCache {
  private readonly tokens = new Map<string, ClientToken>();

  constructor(private readonly maxEntries: number) {}

  /** The token of `scope` if it still has the validity its class needs. */
  get(scope: string, now = Date.now()): ClientToken | undefined {
    const token = this.tokens.get(scope);
    if (token === undefined) return undefined;
    this.tokens.delete(scope);
    if (token.expiresAt - now < minValidityMs(scope)) return undefined;
    this.tokens.set(scope, token);
    return token;
  }

  set(scope: string, token: ClientToken): void {
    this.tokens.delete(scope);
    this.tokens.set(scope, token);
    for (const oldest of this.tokens.keys()) {
      if (this.tokens.size <= this.maxEntries) break;
      this.tokens.delete(oldest);
    }
  }

  get size(): number {
    return this.tokens.size;
  }
}
