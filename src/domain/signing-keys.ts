import type { JsonWebKey } from 'node:crypto';
import type { SigningAlgorithm } from '../config/signing-algorithms.js';
import type { AuditTrail } from './audit-trail.js';
import type { Clock } from './clock.js';
import { DomainError } from './domain-error.js';
import { createJwsSigner, type JwsSigner } from './jws-signer.js';
import { type SigningKey, WITHDRAWN_PREFIX } from './signing-key.js';
import {
  keyRow,
  newSealedKeyPair,
  publicJwkOf,
  type SealedKeyPair,
  unsealPrivateKey,
} from './signing-key-material.js';
import {
  activeKey,
  inRotationOrder,
  keySummaries,
  publishedKeys,
  type SigningKeySummary,
  type WithdrawnKey,
} from './signing-key-states.js';
import { addKey, withdrawKey } from './signing-key-writes.js';
import { type Store, StoreConflictError } from './store.js';

export type { SigningKeySummary, WithdrawnKey } from './signing-key-states.js';

export { RETIREMENT_MARGIN_MS } from './signing-key-writes.js';

/**
 * How long verifiers may cache the JWKS; a new key is published at least this far ahead. Short, so
 * that a withdrawn key stops being trusted soon by verifiers that honour Cache-Control: the JWKS is
 * served from memory, and a fetch a minute per verifier costs nothing.
 */
export const JWKS_MAX_AGE_SECONDS = 60;

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

/**
 * The key ring. A key is published first (`next`), signs from its `activatesAt` (`active`) until a
 * later key activates, then stays published (`retired`) until nothing it signed can be valid. The
 * states follow from the stored times, so every instance agrees without talking to the others.
 */
export class SigningKeys {
  private keys: readonly SigningKey[] = [];
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
    // When another process starting at the same moment made the key first, that one is used.
    await this.rotateFromNewest({ immediately: true }, actor, 1);
  }

  /** Re-reads the keys from the store (after another process rotated them). */
  async reload(): Promise<void> {
    // A withdrawn key is in no chain, signs nothing and is published nowhere: as good as gone.
    const rows = await this.store.listSigningKeys();
    this.keys = inRotationOrder(rows.filter((k) => !k.rotatedFrom.startsWith(WITHDRAWN_PREFIX)));
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
    return keySummaries(this.keys, this.clock.now());
  }

  /**
   * Adds a new key of SIGNING_ALG. It is published at once and signs after the pre-publication
   * delay, or at once with `immediately` (an emergency swap). The key it replaces stays published
   * until every token it signed has expired. Two rotations asked for at the same moment (two
   * operators, two requests) both happen, the later following the earlier.
   */
  async rotate(options: { immediately: boolean }, actor: string): Promise<SigningKeySummary> {
    const key = await this.rotateFromNewest(options, actor, 3);
    if (!key) throw new DomainError('conflict', 'rotations kept coming first; try again');
    return key;
  }

  /**
   * Withdraws a compromised key: it leaves the JWKS at once, so that nothing it signed verifies or
   * introspects as active any more (every instance follows at its change notice). A key that signs
   * now, or was to sign next, gives way to a new key that signs at once, in the same transaction,
   * so issuance never stops.
   */
  async withdraw(kid: string, actor: string): Promise<WithdrawnKey> {
    for (let attempt = 1; ; attempt++) {
      await this.reload();
      const now = this.clock.now();
      const state = this.list().find((k) => k.kid === kid)?.state;
      if (state === undefined) {
        throw new DomainError('not_found', `no published signing key has kid '${kid.slice(0, 80)}'`);
      }
      const replacement = state === 'retired' ? undefined : await this.newPair();
      const longest = await this.options.longestTokenLifetime();
      let added: SigningKey | undefined;
      try {
        added = await this.store.transaction((tx) =>
          withdrawKey(tx, this.audit, { kid, now, state, replacement, longestLifetime: longest, actor }),
        );
      } catch (error) {
        // Another instance rotated in the meantime: look again, and follow its key.
        if (!(error instanceof StoreConflictError)) throw error;
        if (attempt >= 3) throw new DomainError('conflict', 'rotations kept coming first; try again');
        continue;
      }
      await this.reload();
      return { kid, state, replacement: added && this.summaryOf(added.kid) };
    }
  }

  /**
   * The scheduled rotation (KEY_ROTATION_INTERVAL): when the newest key has been signing for the
   * interval, publish its successor. Safe to run on every instance: one rotation wins.
   */
  async rotateIfDue(): Promise<SigningKeySummary | undefined> {
    const newest = this.keys[0];
    const interval = this.options.rotationIntervalMs;
    if (interval <= 0 || !newest || newest.activatesAt + interval > this.clock.now()) return undefined;
    return this.rotateFromNewest({ immediately: false }, 'schedule', 1);
  }

  /**
   * Rotates from the newest key this instance knows. When another rotation got there first
   * (StoreConflictError), it looks again and follows that one, up to `attempts` times in all;
   * undefined when every attempt came second.
   */
  private async rotateFromNewest(
    options: { immediately: boolean },
    actor: string,
    attempts: number,
  ): Promise<SigningKeySummary | undefined> {
    const pair = await this.newPair();
    const longest = await this.options.longestTokenLifetime();
    for (let attempt = 1; ; attempt++) {
      const now = this.clock.now();
      const activatesAt = options.immediately ? now : now + this.options.prePublicationMs;
      const row = keyRow(pair, now, activatesAt, this.keys[0]?.kid ?? '');
      try {
        await this.store.transaction((tx) => addKey(tx, this.audit, row, longest, actor));
      } catch (error) {
        if (!(error instanceof StoreConflictError)) throw error;
        await this.reload();
        if (attempt >= attempts) return undefined;
        continue;
      }
      await this.reload();
      return this.summaryOf(row.kid);
    }
  }

  private newPair(): Promise<SealedKeyPair> {
    return newSealedKeyPair(this.options.alg, this.options.keyEncryptionKey());
  }

  private summaryOf(kid: string): SigningKeySummary {
    const summary = this.list().find((k) => k.kid === kid);
    if (!summary) throw new Error(`signing key ${kid} was added but is not published`);
    return summary;
  }

  private refresh(): void {
    const now = this.clock.now();
    const active = activeKey(this.keys, now);
    this.signer = active && this.signerFor(active);
    const published = publishedKeys(this.keys, now);
    this.jwksDocument = { keys: published.map((k) => publicJwkOf(k.publicJwk)) };
    const upcoming = this.keys.flatMap((k) => [k.activatesAt, k.expiresAt ?? Number.POSITIVE_INFINITY]);
    this.validUntil = Math.min(Number.POSITIVE_INFINITY, ...upcoming.filter((t) => t > now));
  }

  private signerFor(row: SigningKey): JwsSigner {
    let signer = this.signers.get(row.kid);
    if (!signer) {
      const privateKey = unsealPrivateKey(row.sealedPrivateKey, row.kid, this.options.keyEncryptionKey());
      signer = createJwsSigner(row.alg as SigningAlgorithm, row.kid, privateKey);
      this.signers.set(row.kid, signer);
    }
    return signer;
  }
}
