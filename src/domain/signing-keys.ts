import type { JsonWebKey } from 'node:crypto';
import type { SigningKeyRow, Store } from '../store/store.js';
import { StoreConflictError } from '../store/store.js';
import type { ChangeFeed } from './change-feed.js';
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

export interface SigningKeysOptions {
  readonly alg: SigningAlgorithm;
  /** Called only when a key is sealed or opened, so commands that never touch keys never need it. */
  readonly keyEncryptionKey: () => Buffer;
  /** The longest lifetime, in seconds, any token can be issued with now. */
  readonly longestTokenLifetime: () => Promise<number>;
}

export type SigningKeySummary = Pick<
  SigningKeyRow,
  'kid' | 'alg' | 'status' | 'createdAt' | 'retiredAt' | 'expiresAt'
>;

/** The key ring: which key signs, which keys verifiers may meet, and rotation. */
export class SigningKeys {
  private signer: JwsSigner | undefined;
  private published: readonly SigningKeyRow[] = [];
  private jwksDocument: { keys: JsonWebKey[] } = { keys: [] };
  private jwksValidUntil = 0;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly feed: ChangeFeed,
    private readonly options: SigningKeysOptions,
  ) {}

  /** Loads the keys, creating an active key when there is none or it is not of SIGNING_ALG. */
  async start(): Promise<void> {
    await this.reload();
    const active = this.published.find((k) => k.status === 'active');
    if (active?.alg === this.options.alg) return;
    try {
      await this.rotate();
    } catch (error) {
      // Another process starting at the same moment made the key: use that one.
      if (!(error instanceof StoreConflictError)) throw error;
      await this.reload();
    }
  }

  /** Re-reads the keys from the store (after another process rotated them). */
  async reload(): Promise<void> {
    const rows = await this.store.listSigningKeys();
    const active = rows.find((k) => k.status === 'active');
    this.published = rows;
    this.signer =
      active &&
      createJwsSigner(
        active.alg as SigningAlgorithm,
        active.kid,
        unsealPrivateKey(active.sealedPrivateKey, active.kid, this.options.keyEncryptionKey()),
      );
    this.jwksValidUntil = 0;
  }

  /** The signer of the active key; throws before start(). */
  activeSigner(): JwsSigner {
    if (!this.signer) throw new Error('no active signing key: SigningKeys.start() has not completed');
    return this.signer;
  }

  get ready(): boolean {
    return this.signer !== undefined;
  }

  /** The RFC 7517 JWK Set: the active key and the retired keys whose tokens may still be valid. */
  jwks(): { keys: JsonWebKey[] } {
    const now = this.clock.now();
    if (now >= this.jwksValidUntil) {
      const live = this.published.filter((k) => k.expiresAt === null || k.expiresAt > now);
      this.jwksDocument = { keys: live.map((k) => publicJwkOf(k.publicJwk)) };
      this.jwksValidUntil = Math.min(
        Number.MAX_SAFE_INTEGER,
        ...live.map((k) => k.expiresAt ?? Number.MAX_SAFE_INTEGER),
      );
    }
    return this.jwksDocument;
  }

  /** The published keys, newest first, without key material. */
  list(): SigningKeySummary[] {
    const now = this.clock.now();
    return this.published
      .filter((k) => k.expiresAt === null || k.expiresAt > now)
      .map(({ kid, alg, status, createdAt, retiredAt, expiresAt }) => ({
        kid,
        alg,
        status,
        createdAt,
        retiredAt,
        expiresAt,
      }));
  }

  /**
   * Makes a new key of SIGNING_ALG the active one. The previous key stays published, retired, until
   * every token it signed has expired.
   */
  async rotate(): Promise<SigningKeySummary> {
    const material = await generateKeyPairMaterial(this.options.alg);
    const now = this.clock.now();
    const row: SigningKeyRow = {
      kid: material.kid,
      alg: material.alg,
      status: 'active',
      publicJwk: JSON.stringify(material.publicJwk),
      sealedPrivateKey: sealPrivateKey(material.privateKey, material.kid, this.options.keyEncryptionKey()),
      createdAt: now,
      retiredAt: null,
      expiresAt: null,
    };
    const longest = await this.options.longestTokenLifetime();
    await this.store.activateSigningKey(row, {
      now,
      retiredUntil: now + longest * 1000 + RETIREMENT_MARGIN_MS,
      expectedActiveKid: this.published.find((k) => k.status === 'active')?.kid ?? null,
    });
    await this.reload();
    this.feed.publish({ entity: 'signing_key' });
    const { kid, alg, status, createdAt, retiredAt, expiresAt } = row;
    return { kid, alg, status, createdAt, retiredAt, expiresAt };
  }
}
