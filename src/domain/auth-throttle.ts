import { addressKey } from './address-key.js';
import type { Clock } from './clock.js';
import { LruMap } from './lru-map.js';
import { printable } from './printable.js';

/** Failed authentications allowed in one window; past one, failing requests are answered 429. */
export interface ThrottleLimits {
  /** From one address (an IPv6 /64), whatever it names. */
  readonly address: number;
  /** Naming one subject (a client_id) from one address. */
  readonly pair: number;
  /** Naming one subject from all addresses together: fresh addresses do not start afresh. */
  readonly client: number;
}

/** Client authentication at the OAuth endpoints. */
export const THROTTLE_LIMITS: ThrottleLimits = { address: 20, pair: 5, client: 50 };
/**
 * The admin API: one subject, so per address only (its pair is its address, 5 a minute); a limit
 * across addresses would only turn the 401s of a distributed guesser into 429s.
 */
export const ADMIN_THROTTLE_LIMITS: ThrottleLimits = {
  address: THROTTLE_LIMITS.pair,
  pair: THROTTLE_LIMITS.pair,
  client: Number.POSITIVE_INFINITY,
};
export const THROTTLE_WINDOW_MS = 60_000;
/** Counters, and blocks, kept in memory: each table at most this many, least recently used out. */
export const MAX_TRACKED = 100_000;
/** A client_id the throttle keys by is cut to this (longer ones are refused before they get here). */
const MAX_SUBJECT_LENGTH = 64;
/** No well-formed key is longer: namespace, kind, subject and address key. */
const MAX_KEY_LENGTH = 160;
/** A block another instance published may end at most this far ahead: a window, and clock skew. */
const MAX_BLOCK_AHEAD_MS = 2 * THROTTLE_WINDOW_MS;

/** What is being authenticated: clients at the OAuth endpoints, the admin API's callers, or operators. */
export type ThrottleNamespace = 'client' | 'admin' | 'operator';

/** Counters shared by every instance (Redis, or a cluster's primary), when there are several. */
export interface SharedThrottleCounters {
  /** Adds one failure to each key in the window; resolves to the counts across all instances. */
  increment(keys: readonly string[], windowMs: number): Promise<number[]>;
  /** Tells every instance that `key` is refused until `until` (ms). */
  publishBlock(key: string, until: number): Promise<void>;
  /** Calls `listener` for blocks published by any instance (unchecked: they come from outside). */
  onBlock(listener: (key: string, until: number) => void): void;
}

export interface ThrottleOptions {
  readonly namespace?: ThrottleNamespace;
  /** Default THROTTLE_LIMITS. */
  readonly limits?: ThrottleLimits;
  readonly shared?: SharedThrottleCounters | undefined;
  readonly onError?: (error: unknown) => void;
  readonly maxTracked?: number;
}

/**
 * Throttling of failed authentications. It is asked only after the credentials were checked and
 * found wrong, so a request that carries valid credentials is never refused by it, whatever
 * others did from its address or in its name. Secrets are 256 random bits: no guesser can win,
 * and the throttle is not there to stop one. It keeps failing traffic cheap (a refused failure is
 * not counted again, nor sent to the shared counters) and tells a misconfigured or hostile caller
 * to back off. Counting is in memory, and with shared counters across instances, whose blocks are
 * published to every instance.
 */
export class AuthThrottle {
  private readonly counts: LruMap<string, { window: number; count: number }>;
  private readonly blocks: LruMap<string, number>;
  private readonly namespace: ThrottleNamespace;
  private readonly limits: readonly number[];
  private readonly shared: SharedThrottleCounters | undefined;
  private readonly onError: (error: unknown) => void;

  constructor(
    private readonly clock: Clock,
    options: ThrottleOptions = {},
  ) {
    this.namespace = options.namespace ?? 'client';
    const limits = options.limits ?? THROTTLE_LIMITS;
    this.limits = [limits.address, limits.pair, limits.client];
    this.shared = options.shared;
    this.onError = options.onError ?? (() => {});
    this.counts = new LruMap(options.maxTracked ?? MAX_TRACKED);
    this.blocks = new LruMap(options.maxTracked ?? MAX_TRACKED);
    this.shared?.onBlock((key, until) => {
      if (this.isWellFormed(key, until)) this.block(key, until);
    });
  }

  /**
   * A failed authentication naming `subject` (a client_id) from `address`. Returns the seconds the
   * caller must wait: 0 when this failure is answered as usual (and counted); more when it is
   * refused (and not counted again). No I/O on the way: shared counters are told in the background.
   */
  failed(subject: string, address: string): number {
    const now = this.clock.now();
    const keys = this.keys(subject, address);
    const wait = this.wait(keys, now);
    if (wait > 0) return wait;
    this.blockOverLimits(
      keys,
      keys.map((key) => this.count(key, now)),
      now,
    );
    this.shared
      ?.increment(keys, THROTTLE_WINDOW_MS)
      .then((global) => this.blockOverLimits(keys, global, this.clock.now()), this.onError);
    return 0;
  }

  /** The address, the pair and the subject, in the order of `limits`. */
  private keys(subject: string, address: string): [string, string, string] {
    const from = addressKey(address);
    const name = printable(subject, MAX_SUBJECT_LENGTH);
    return [
      `${this.namespace}:a:${from}`,
      `${this.namespace}:p:${name}@${from}`,
      `${this.namespace}:c:${name}`,
    ];
  }

  private wait(keys: readonly string[], now: number): number {
    let until = 0;
    for (const key of keys) until = Math.max(until, this.blockedUntil(key, now));
    return until > now ? Math.ceil((until - now) / 1000) : 0;
  }

  /** Blocks each key whose count reached its limit, and tells the other instances. */
  private blockOverLimits(keys: readonly string[], counts: readonly number[], now: number): void {
    const until = (Math.floor(now / THROTTLE_WINDOW_MS) + 1) * THROTTLE_WINDOW_MS;
    keys.forEach((key, i) => {
      if ((counts[i] ?? 0) < (this.limits[i] ?? Number.POSITIVE_INFINITY)) return;
      if ((this.blocks.get(key) ?? 0) >= until) return;
      this.block(key, until);
      this.shared?.publishBlock(key, until).catch(this.onError);
    });
  }

  /**
   * A block from another instance: a key of ours in the shape we make, ending after now and no
   * later than a window (and some skew) ahead, so that no message can refuse anyone for longer.
   */
  private isWellFormed(key: string, until: number): boolean {
    const now = this.clock.now();
    return (
      typeof key === 'string' &&
      key.length <= MAX_KEY_LENGTH &&
      /^(client|admin|operator):(a|p|c):./.test(key) &&
      printable(key, MAX_KEY_LENGTH) === key &&
      key.startsWith(`${this.namespace}:`) &&
      Number.isSafeInteger(until) &&
      until > now &&
      until <= now + MAX_BLOCK_AHEAD_MS
    );
  }

  private block(key: string, until: number): void {
    this.blocks.set(key, Math.max(until, this.blocks.get(key) ?? 0));
  }

  private blockedUntil(key: string, now: number): number {
    const until = this.blocks.get(key);
    if (until === undefined) return 0;
    if (until <= now) this.blocks.delete(key);
    return until;
  }

  private count(key: string, now: number): number {
    const window = Math.floor(now / THROTTLE_WINDOW_MS);
    const entry = this.counts.get(key);
    if (entry && entry.window === window) return ++entry.count;
    this.counts.set(key, { window, count: 1 });
    return 1;
  }
}
