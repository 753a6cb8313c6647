import { createLocalJWKSet, errors, type JSONWebKeySet, type JWSHeaderParameters } from 'jose';

type LocalKeySet = ReturnType<typeof createLocalJWKSet>;

export interface RemoteKeySetOptions {
  /**
   * The longest a fetched JWKS is kept, whatever its Cache-Control says. Default 10 minutes. Below
   * it, the response's `max-age` rules (60 s without one): the server promises that a withdrawn key
   * stops being trusted within its max-age, and keeping the keys longer would break that promise.
   */
  readonly maxAgeMs?: number;
  /** The shortest time between two fetches caused by an unknown `kid`. Default 1 second. */
  readonly minRefetchIntervalMs?: number;
  readonly timeoutMs?: number;
}

/**
 * A JWKS fetched from `jwksUri` and kept, refetched at once when a token names a `kid` it does not
 * hold (a key rotated with `keys rotate --now` signs before any cache would expire), but at most once
 * a `minRefetchIntervalMs`, so that tokens with made-up `kid`s cannot make us flood the server.
 * jose's createRemoteJWKSet waits 30 s between such refetches; this is the same idea with a
 * cooldown that lets a rotation through.
 */
export class RemoteKeySet {
  private keys: LocalKeySet | undefined;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private keptForMs = 0;
  private fetching: Promise<LocalKeySet> | undefined;
  private readonly maxAgeMs: number;
  private readonly minRefetchIntervalMs: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly jwksUri: string,
    options: RemoteKeySetOptions = {},
  ) {
    this.maxAgeMs = options.maxAgeMs ?? 600_000;
    this.minRefetchIntervalMs = options.minRefetchIntervalMs ?? 1_000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** jose's key resolver (a JWTVerifyGetKey). */
  readonly getKey = async (header: JWSHeaderParameters, token: Parameters<LocalKeySet>[1]) => {
    const keys =
      this.keys !== undefined && Date.now() - this.fetchedAt < this.keptForMs
        ? this.keys
        : await this.refresh();
    try {
      return await keys(header, token);
    } catch (error) {
      const mayRefetch = Date.now() - this.fetchedAt >= this.minRefetchIntervalMs;
      if (!(error instanceof errors.JWKSNoMatchingKey) || !mayRefetch) throw error;
      return (await this.refresh())(header, token);
    }
  };

  /** One fetch at a time: callers arriving while it runs share it. */
  private refresh(): Promise<LocalKeySet> {
    this.fetching ??= this.fetchKeys().finally(() => {
      this.fetching = undefined;
    });
    return this.fetching;
  }

  private async fetchKeys(): Promise<LocalKeySet> {
    const response = await fetch(this.jwksUri, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!response.ok) throw new Error(`the JWKS at ${this.jwksUri} answered ${response.status}`);
    this.keys = createLocalJWKSet((await response.json()) as JSONWebKeySet);
    this.fetchedAt = Date.now();
    this.keptForMs = Math.min(this.maxAgeMs, maxAgeMsOf(response.headers.get('cache-control')));
    return this.keys;
  }
}

/** Without a max-age we keep the keys a minute, as lean-auth's own JWKS asks (JWKS_MAX_AGE_SECONDS). */
const DEFAULT_MAX_AGE_MS = 60_000;

/** Cache-Control's `max-age` (RFC 9111 §5.2.2.1) in milliseconds; `no-store`/`no-cache` are 0. */
function maxAgeMsOf(cacheControl: string | null): number {
  if (cacheControl === null) return DEFAULT_MAX_AGE_MS;
  const directives = cacheControl
    .toLowerCase()
    .split(',')
    .map((d) => d.trim());
  if (directives.includes('no-store') || directives.includes('no-cache')) return 0;
  const maxAge = directives.find((d) => d.startsWith('max-age='))?.slice('max-age='.length);
  return maxAge !== undefined && /^\d+$/.test(maxAge) ? Number(maxAge) * 1000 : DEFAULT_MAX_AGE_MS;
}
