import type { Clock } from './clock.js';

/** Failed authentications allowed in one window before the source is refused for its rest. */
export const THROTTLE_LIMITS = {
  /** From one address, whatever client_id it names. */
  address: 20,
  /** For one client_id from one address. */
  pair: 5,
  /**
   * For one client_id from all addresses together: past this, an address that has failed for the
   * client is refused at once, while addresses that have not (the real client) go on.
   */
  client: 50,
} as const;
export const THROTTLE_WINDOW_MS = 60_000;
/** Counters and blocks kept in memory, each: about 10 MB at most. */
const MAX_TRACKED = 100_000;

/** Counters shared by every instance (Redis), when there are several. */
export interface SharedThrottleCounters {
  /** Adds one failure to each key in the window; resolves to the counts across all instances. */
  increment(keys: readonly string[], windowMs: number): Promise<number[]>;
  /** Tells every instance that `key` is refused until `until` (ms). */
  publishBlock(key: string, until: number): Promise<void>;
  /** Calls `listener` for blocks published by any instance. */
  onBlock(listener: (key: string, until: number) => void): void;
}

/**
 * Brute-force throttling of client authentication. The check on the token path is a lookup in
 * memory; failures are counted here and, with shared counters, across instances, whose blocks are
 * published to every instance. A guesser is refused by address, so the real client, calling from
 * elsewhere with its right secret, is never locked out.
 */
export class AuthThrottle {
  private readonly counts = new Map<string, { window: number; count: number }>();
  private readonly blocks = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly shared?: SharedThrottleCounters,
    private readonly onError: (error: unknown) => void = () => {},
    private readonly maxTracked = MAX_TRACKED,
  ) {
    shared?.onBlock((key, until) => this.block(key, until));
  }

  /** Seconds the caller must wait before trying again; 0 when it may go on. No I/O. */
  retryAfter(clientId: string, address: string): number {
    if (this.blocks.size === 0) return 0;
    const now = this.clock.now();
    const until = Math.max(
      this.blockedUntil(addressKey(address), now),
      this.blockedUntil(pairKey(clientId, address), now),
      this.localCount(pairKey(clientId, address), now) > 0 ? this.blockedUntil(clientKey(clientId), now) : 0,
    );
    return until > now ? Math.ceil((until - now) / 1000) : 0;
  }

  /** Counts a failed authentication of `clientId` from `address`. */
  failed(clientId: string, address: string): void {
    const now = this.clock.now();
    const keys = [addressKey(address), pairKey(clientId, address), clientKey(clientId)];
    const local = keys.map((key) => this.countLocally(key, now));
    this.blockOverLimits(keys, local, now);
    this.shared
      ?.increment(keys, THROTTLE_WINDOW_MS)
      .then((global) => this.blockOverLimits(keys, global, this.clock.now()), this.onError);
  }

  /** Blocks each key whose count reached its limit, and tells the other instances. */
  private blockOverLimits(keys: readonly string[], counts: readonly number[], now: number): void {
    const limits = [THROTTLE_LIMITS.address, THROTTLE_LIMITS.pair, THROTTLE_LIMITS.client];
    const until = (Math.floor(now / THROTTLE_WINDOW_MS) + 1) * THROTTLE_WINDOW_MS;
    keys.forEach((key, i) => {
      if ((counts[i] ?? 0) < (limits[i] ?? Number.POSITIVE_INFINITY)) return;
      if ((this.blocks.get(key) ?? 0) >= until) return;
      this.block(key, until);
      this.shared?.publishBlock(key, until).catch(this.onError);
    });
  }

  private block(key: string, until: number): void {
    if (this.blocks.size >= this.maxTracked) this.forgetExpired(this.blocks, this.clock.now());
    this.blocks.set(key, Math.max(until, this.blocks.get(key) ?? 0));
  }

  private blockedUntil(key: string, now: number): number {
    const until = this.blocks.get(key);
    if (until === undefined) return 0;
    if (until <= now) this.blocks.delete(key);
    return until;
  }

  private countLocally(key: string, now: number): number {
    const window = Math.floor(now / THROTTLE_WINDOW_MS);
    const entry = this.counts.get(key);
    if (entry && entry.window === window) return ++entry.count;
    if (this.counts.size >= this.maxTracked) this.makeRoomForCounts(window);
    this.counts.set(key, { window, count: 1 });
    return 1;
  }

  private localCount(key: string, now: number): number {
    const entry = this.counts.get(key);
    return entry && entry.window === Math.floor(now / THROTTLE_WINDOW_MS) ? entry.count : 0;
  }

  /**
   * Full: counts of past windows go first, then single failures. A flood of new keys (many
   * addresses, random client_ids) is made of single failures, so it cannot push out the count of
   * a guesser who keeps trying one client.
   */
  private makeRoomForCounts(window: number): void {
    for (const [key, entry] of this.counts) if (entry.window !== window) this.counts.delete(key);
    if (this.counts.size < this.maxTracked) return;
    for (const [key, entry] of this.counts) if (entry.count === 1) this.counts.delete(key);
    if (this.counts.size >= this.maxTracked) this.counts.clear();
  }

  private forgetExpired(map: Map<string, number>, now: number): void {
    for (const [key, until] of map) if (until <= now) map.delete(key);
    if (map.size >= this.maxTracked) map.clear();
  }
}

const addressKey = (address: string) => `a:${address}`;
const pairKey = (clientId: string, address: string) => `p:${clientId.slice(0, 80)}:${address}`;
const clientKey = (clientId: string) => `c:${clientId.slice(0, 80)}`;
