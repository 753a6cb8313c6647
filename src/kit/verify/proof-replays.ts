/**
 * Where the jti of every DPoP proof accepted is kept until the proof's iat window is over, so that
 * a proof captured in transit cannot be sent again (RFC 9449 §11.1). A single process can use the
 * in-memory ProofReplays; resource servers behind a load balancer give one shared store (Redis
 * `SET key 1 NX PX ttl` is one) so that every instance sees every proof.
 */
export interface ProofReplayStore {
  /** True the first time `key` is seen before `expiresAtMs`; false for a replay. */
  firstUse(key: string, expiresAtMs: number): boolean | Promise<boolean>;
}

/** In memory, bounded: the oldest entries go first when `maxEntries` is reached. */
export class ProofReplays implements ProofReplayStore {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly maxEntries = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  firstUse(key: string, expiresAtMs: number): boolean {
    const now = this.now();
    const until = this.seen.get(key);
    if (until !== undefined && until > now) return false;
    this.seen.delete(key);
    this.seen.set(key, expiresAtMs);
    // A Map iterates in insertion order, which is the order of expiry near enough: drop the ended.
    for (const [oldest, end] of this.seen) {
      if (end > now && this.seen.size <= this.maxEntries) break;
      this.seen.delete(oldest);
    }
    return true;
  }
}
