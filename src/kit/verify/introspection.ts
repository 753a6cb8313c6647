import { createHash } from 'node:crypto';
import type { AccessTokenClaims } from './claims.js';
import { BearerTokenError } from './errors.js';

export interface IntrospectionOptions {
  /** An application of the server allowed to introspect: the token's own, or a resource server. */
  readonly clientId: string;
  readonly clientSecret: string;
  /** How long an answer is reused; a revocation shows after at most this long. Default 5 seconds. */
  readonly cacheMs?: number;
  /** How many answers are kept. Default 10,000. */
  readonly maxEntries?: number;
  readonly timeoutMs?: number;
}

interface Cached {
  readonly until: number;
  readonly claims: AccessTokenClaims | undefined;
}

/**
 * Asks the server's RFC 7662 introspection endpoint whether a token is still active (not revoked,
 * its application and customer not disabled), keeping each answer for a few seconds. Tokens are
 * kept by their SHA-256 digest, never as they are.
 */
export class Introspector {
  private readonly answers = new Map<string, Cached>();
  private readonly authorization: string;

  constructor(
    private readonly endpoint: string,
    private readonly options: IntrospectionOptions,
  ) {
    const encode = (value: string) => encodeURIComponent(value).replaceAll('%20', '+');
    const pair = `${encode(options.clientId)}:${encode(options.clientSecret)}`;
    this.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
  }

  /** The token's claims if it is active; invalid_token otherwise. */
  async activeClaims(token: string): Promise<AccessTokenClaims> {
    const key = createHash('sha256').update(token).digest('base64url');
    const now = Date.now();
    let cached = this.answers.get(key);
    if (cached === undefined || cached.until <= now) {
      const claims = await this.ask(token);
      // Kept a few seconds, and never past the token's exp. RFC 7662 makes exp optional: an active
      // answer without one is only believed for those few seconds, then asked again.
      const exp = typeof claims?.exp === 'number' ? claims.exp * 1000 : Number.POSITIVE_INFINITY;
      cached = { until: Math.min(now + (this.options.cacheMs ?? 5_000), exp), claims };
      this.remember(key, cached);
    }
    if (cached.claims === undefined || cached.until <= now) {
      throw new BearerTokenError(
        'invalid_token',
        'the access token is not active (revoked, expired or unknown)',
      );
    }
    return cached.claims;
  }

  private async ask(token: string): Promise<AccessTokenClaims | undefined> {
    const response = await fetch(this.endpoint, {
      method: 'POST',
      headers: {
        authorization: this.authorization,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams({ token }).toString(),
      // Never follow a redirect: it would carry our credentials (Authorization) to wherever it points.
      redirect: 'manual',
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
    });
    // Our own credentials refused, or the server in trouble: not the token's fault, so not a 401.
    if (!response.ok) throw new Error(`the introspection endpoint answered ${response.status}`);
    const answer = (await response.json()) as { active?: boolean } & Partial<AccessTokenClaims>;
    return answer.active === true ? (answer as AccessTokenClaims) : undefined;
  }

  private remember(key: string, cached: Cached): void {
    this.answers.delete(key);
    this.answers.set(key, cached);
    // A Map iterates in insertion order: the first entries are the oldest.
    for (const oldest of this.answers.keys()) {
      if (this.answers.size <= (this.options.maxEntries ?? 10_000)) break;
      this.answers.delete(oldest);
    }
  }
}
