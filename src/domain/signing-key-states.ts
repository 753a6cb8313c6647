import type { SigningKey } from './signing-key.js';

/**
 * Which key is which, from the stored rows and the time alone, so that every instance agrees
 * without talking to the others.
 */

/** next: published, signs from activates_at; active: signs now; retired: verifies old tokens. */
export const SIGNING_KEY_STATES = ['next', 'active', 'retired'] as const;
export type SigningKeyState = (typeof SIGNING_KEY_STATES)[number];

export interface SigningKeySummary {
  readonly kid: string;
  readonly alg: string;
  readonly state: SigningKeyState;
  readonly createdAt: number;
  readonly activatesAt: number;
  /** When the key leaves the JWKS; null while nothing has replaced it. */
  readonly expiresAt: number | null;
}

/** What withdrawing a key did. */
export interface WithdrawnKey {
  readonly kid: string;
  /** What the key was when it was withdrawn. */
  readonly state: SigningKeyState;
  /** The key that signs in its place, when it signed or was to sign next. */
  readonly replacement: SigningKeySummary | undefined;
}

/** The latest key in rotation order that has activated and not expired: the one that signs. */
export function activeKey(keys: readonly SigningKey[], now: number): SigningKey | undefined {
  return keys.find((k) => k.activatesAt <= now && (k.expiresAt === null || k.expiresAt > now));
}

/** The keys in the JWKS at `now`: every one not yet expired. */
export function publishedKeys(keys: readonly SigningKey[], now: number): SigningKey[] {
  return keys.filter((k) => k.expiresAt === null || k.expiresAt > now);
}

/** The published keys (`keys` in rotation order), each with its state at `now`. */
export function keySummaries(keys: readonly SigningKey[], now: number): SigningKeySummary[] {
  const active = activeKey(keys, now);
  const activeIndex = active ? keys.indexOf(active) : keys.length;
  // Keys are newest first: only one that comes after the active key is `next`; a skipped one
  // (an emergency rotation went past it) is retired without ever having signed.
  const stateOf = (k: SigningKey): SigningKeyState =>
    k === active ? 'active' : keys.indexOf(k) < activeIndex && k.activatesAt > now ? 'next' : 'retired';
  return publishedKeys(keys, now).map((k) => ({
    kid: k.kid,
    alg: k.alg,
    state: stateOf(k),
    createdAt: k.createdAt,
    activatesAt: k.activatesAt,
    expiresAt: k.expiresAt,
  }));
}

/**
 * Newest first, by which key follows which (`rotatedFrom`), not by clock: a rotation made at the
 * same millisecond, or by an instance whose clock runs behind, still comes after the key it follows.
 */
export function inRotationOrder(keys: readonly SigningKey[]): SigningKey[] {
  const byKid = new Map(keys.map((k) => [k.kid, k]));
  const depth = new Map<string, number>();
  const depthOf = (key: SigningKey): number => {
    let count = 0;
    const seen = new Set<string>();
    for (let k = byKid.get(key.rotatedFrom); k && !seen.has(k.kid); k = byKid.get(k.rotatedFrom)) {
      seen.add(k.kid);
      count++;
    }
    return count;
  };
  for (const key of keys) depth.set(key.kid, depthOf(key));
  return [...keys].sort(
    (a, b) =>
      (depth.get(b.kid) ?? 0) - (depth.get(a.kid) ?? 0) ||
      b.createdAt - a.createdAt ||
      b.activatesAt - a.activatesAt,
  );
}
