import type { JsonWebKey } from 'node:crypto';
import type { SigningKeyRow, Store } from '../store/store.js';
import { StoreConflictError } from '../store/store.js';
import type { AuditTrail } from './audit-trail.js';
import type { Clock } from './clock.js';
import { createJwsSigner, type JwsSigner } from './jws-signer.js';
import type { SigningAlgorithm } from './signing-algorithms.js';
import {
  generateKeyPairMaterial,
  publicJwkOf,
  sealPrivateKey,
  unsealPrivateKey,
} from './signing-key-material.js';

/**
 * How long past the last possible expiry a retired key stays published: other processes may go on
 * signing with it until they notice the rotation.
 */
export const RETIREMENT_MARGIN_MS = 60_000;

/** How long verifiers may cache the JWKS; a new key is published at least this far ahead. */
export const JWKS_MAX_AGE_SECONDS = 300;

export interface SigningKeysOptions {
  readonly alg: SigningAlgorithm;
  /** Called only when a key is sealed or opened, so commands that never touch keys never need it. */
  readonly keyEncryptionKey: () => Buffer;
  /** The longest lifetime, in seconds, any token can be issued with now. */
  readonly longestTokenLifetime: () => Promise<number>;
  /**
   * How far ahead of signing a new key is published: longer than verifiers cache the JWKS, so none
   * meets a kid it does not know.
   */
  readonly prePublicationMs: number;
  /** How long a key signs before the schedule rotates it; 0 turns the schedule off. */
  readonly rotationIntervalMs: number;
}

export type SigningKeyState = 'next' | 'active' | 'retired';

export interface SigningKeySummary {
  readonly kid: string;
  readonly alg: string;
  readonly state: SigningKeyState;
  readonly createdAt: number;
  readonly activatesAt: number;
  /** When the key leaves the JWKS; null while nothing has replaced it. */
  readonly expiresAt: number | null;
}

/**
 * The key ring. A key is published first (`next`), signs from its `activatesAt` (`active`) until a
 * later key activates, then stays published (`retired`) until nothing it signed can be valid. The
 * states follow from the stored times, so every instance agrees without talking to the others.
 */
export class SigningKeys {
  private keys: readonly SigningKeyRow[] = [];
  private signer: JwsSigner | undefined;
  /** When the answer of activeSigner() or jwks() may change next (a key activates or expires). */
  private validUntil = 0;
  private jwksDocument: { keys: JsonWebKey[] } = { keys: [] };
  private readonly signers = new Map<string, JwsSigner>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly audit: AuditTrail,
    private readonly options: SigningKeysOptions,
  ) {}

  /**
   * Loads the keys. With none, or when the signing key is not of SIGNING_ALG, a new key of that
   * algorithm is made active at once.
   */
  async start(actor = 'system'): Promise<void> {
    await this.reload();
    if (this.signer?.alg === this.options.alg) return;
    try {
      await this.rotate({ immediately: true }, actor);
    } catch (error) {
      // Another process starting at the same moment made the key: use that one.
      if (!(error instanceof StoreConflictError)) throw error;
      await this.reload();
    }
  }

  /** Re-reads the keys from the store (after another process rotated them). */
  async reload(): Promise<void> {
    this.keys = inRotationOrder(await this.store.listSigningKeys());
    this.validUntil = 0;
    this.refresh();
  }

  /** The signer of the active key; throws while there is none. */
  activeSigner(): JwsSigner {
    if (this.clock.now() >= this.validUntil) this.refresh();
    if (!this.signer) throw new Error('no active signing key: SigningKeys.start() has not completed');
    return this.signer;
  }

  get ready(): boolean {
    return this.signer !== undefined;
  }

  /** The RFC 7517 JWK Set: the next key, the active key, and retired keys whose tokens may be valid. */
  jwks(): { keys: JsonWebKey[] } {
    if (this.clock.now() >= this.validUntil) this.refresh();
    return this.jwksDocument;
  }

  /** The published keys, newest first, without key material. */
  list(): SigningKeySummary[] {
    const now = this.clock.now();
    const active = this.activeRow(now);
    const activeIndex = active ? this.keys.indexOf(active) : this.keys.length;
    // Keys are newest first: only one that comes after the active key is `next`; a skipped one
    // (an emergency rotation went past it) is retired without ever having signed.
    const stateOf = (k: SigningKeyRow): SigningKeyState =>
      k === active
        ? 'active'
        : this.keys.indexOf(k) < activeIndex && k.activatesAt > now
          ? 'next'
          : 'retired';
    return this.published(now).map((k) => ({
      kid: k.kid,
      alg: k.alg,
      state: stateOf(k),
      createdAt: k.createdAt,
      activatesAt: k.activatesAt,
      expiresAt: k.expiresAt,
    }));
  }

  /**
   * Adds a new key of SIGNING_ALG. It is published at once and signs after the pre-publication
   * delay, or at once with `immediately` (an emergency swap). The key it replaces stays published
   * until every token it signed has expired.
   */
  async rotate(options: { immediately: boolean }, actor: string): Promise<SigningKeySummary> {
    const material = await generateKeyPairMaterial(this.options.alg);
    const now = this.clock.now();
    const activatesAt = options.immediately ? now : now + this.options.prePublicationMs;
    const row: SigningKeyRow = {
      kid: material.kid,
      alg: material.alg,
      publicJwk: JSON.stringify(material.publicJwk),
      sealedPrivateKey: sealPrivateKey(material.privateKey, material.kid, this.options.keyEncryptionKey()),
      createdAt: now,
      activatesAt,
      rotatedFrom: this.keys[0]?.kid ?? '',
      expiresAt: null,
    };
    const longest = await this.options.longestTokenLifetime();
    await this.store.transaction(async (tx) => {
      await tx.addSigningKey(row, {
        now,
        previousExpiresAt: activatesAt + longest * 1000 + RETIREMENT_MARGIN_MS,
      });
      await this.audit.record(tx, {
        actor,
        action: 'key.rotate',
        targetType: 'signing_key',
        targetId: row.kid,
        detail: {
          alg: row.alg,
          activates_at: new Date(activatesAt).toISOString(),
          replaces: row.rotatedFrom || null,
        },
      });
    });
    await this.reload();
    const summary = this.list().find((k) => k.kid === row.kid);
    if (!summary) throw new Error(`signing key ${row.kid} was added but is not published`);
    return summary;
  }

  /**
   * The scheduled rotation (KEY_ROTATION_INTERVAL): when the newest key has been signing for the
   * interval, publish its successor. Safe to run on every instance: one rotation wins.
   */
  async rotateIfDue(): Promise<SigningKeySummary | undefined> {
    const newest = this.keys[0];
    const interval = this.options.rotationIntervalMs;
    if (interval <= 0 || !newest || newest.activatesAt + interval > this.clock.now()) return undefined;
    try {
      return await this.rotate({ immediately: false }, 'schedule');
    } catch (error) {
      if (!(error instanceof StoreConflictError)) throw error;
      await this.reload();
      return undefined;
    }
  }

  private published(now: number): SigningKeyRow[] {
    return this.keys.filter((k) => k.expiresAt === null || k.expiresAt > now);
  }

  /** The latest key in rotation order that has activated. */
  private activeRow(now: number): SigningKeyRow | undefined {
    return this.keys.find((k) => k.activatesAt <= now && (k.expiresAt === null || k.expiresAt > now));
  }

  private refresh(): void {
    const now = this.clock.now();
    const active = this.activeRow(now);
    this.signer = active && this.signerFor(active);
    const published = this.published(now);
    this.jwksDocument = { keys: published.map((k) => publicJwkOf(k.publicJwk)) };
    const upcoming = this.keys.flatMap((k) => [k.activatesAt, k.expiresAt ?? Number.POSITIVE_INFINITY]);
    this.validUntil = Math.min(Number.POSITIVE_INFINITY, ...upcoming.filter((t) => t > now));
  }

  private signerFor(row: SigningKeyRow): JwsSigner {
    let signer = this.signers.get(row.kid);
    if (!signer) {
      const privateKey = unsealPrivateKey(row.sealedPrivateKey, row.kid, this.options.keyEncryptionKey());
      signer = createJwsSigner(row.alg as SigningAlgorithm, row.kid, privateKey);
      this.signers.set(row.kid, signer);
    }
    return signer;
  }
}

/**
 * Newest first, by which key follows which (`rotatedFrom`), not by clock: a rotation made at the
 * same millisecond, or by an instance whose clock runs behind, still comes after the key it follows.
 */
function inRotationOrder(keys: readonly SigningKeyRow[]): SigningKeyRow[] {
  const byKid = new Map(keys.map((k) => [k.kid, k]));
  const depth = new Map<string, number>();
  const depthOf = (key: SigningKeyRow): number => {
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
