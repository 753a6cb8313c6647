import { createLocalJWKSet, errors, type JSONWebKeySet, type JWSHeaderParameters } from 'jose';

type LocalKeySet = ReturnType<typeof createLocalJWKSet>;

export interface RemoteKeySetOptions {
  /** How long a fetched JWKS is used before it is fetched again regardless. Default 10 minutes. */
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
      this.keys !== undefined && Date.now() - this.fetchedAt < this.maxAgeMs
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
    return this.keys;
  }
}
