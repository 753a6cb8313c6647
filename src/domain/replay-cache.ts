/**
 * Remembers single-use identifiers (a client assertion's or a DPoP proof's `jti`) until they
 * expire. `firstUse` answers true the first time an identifier is seen within its lifetime.
 */
export interface ReplayCache {
  firstUse(key: string, expiresAt: number): Promise<boolean>;
}

/** Past this many entries, expired ones are swept out before the next is added. */
const SWEEP_AT = 10_000;

/** One process's memory: enough for one instance; several instances need a shared one. */
export class MemoryReplayCache implements ReplayCache {
  private readonly seen = new Map<string, number>();
  private sweepAt = SWEEP_AT;

  constructor(private readonly now: () => number) {}

  async firstUse(key: string, expiresAt: number): Promise<boolean> {
    const now = this.now();
    const until = this.seen.get(key);
    if (until !== undefined && until > now) return false;
    if (this.seen.size >= this.sweepAt) this.sweep(now);
    this.seen.set(key, expiresAt);
    return true;
  }

  /** Only a client holding a valid key adds entries, so the map grows with real traffic alone. */
  private sweep(now: number): void {
    for (const [key, until] of this.seen) if (until <= now) this.seen.delete(key);
    this.sweepAt = Math.max(SWEEP_AT, this.seen.size * 2);
  }
}
