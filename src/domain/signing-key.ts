/** A signing key as kept: its public half, and its private half sealed. */
export interface SigningKey {
  readonly kid: string;
  readonly alg: string;
  /** The public JWK as JSON. */
  readonly publicJwk: string;
  /** The PKCS#8 private key, sealed with the key encryption key. */
  readonly sealedPrivateKey: string;
  readonly createdAt: number;
  /** From this time on the key signs (until a later-created key activates). */
  readonly activatesAt: number;
  /**
   * The kid of the key this one follows, '' for the first; one key can follow each. A withdrawn
   * key follows none: WITHDRAWN_PREFIX and its own kid.
   */
  readonly rotatedFrom: string;
  /** When the key may leave the JWKS: no token it signed is valid after this. Null while current. */
  readonly expiresAt: number | null;
}

/** How a withdrawn signing key's rotatedFrom begins (see withdrawSigningKey). */
export const WITHDRAWN_PREFIX = 'withdrawn:';

/** Where signing keys are kept. */
export interface SigningKeyStore {
  /** Every key still in the store, most recently created first. */
  listSigningKeys(): Promise<SigningKey[]>;
  /**
   * Adds `key` after the key it was rotated from, in one transaction: that key gets
   * `previousExpiresAt` (unless it already expires sooner), and keys whose expiry is over at `now`
   * are deleted. Throws StoreConflictError when another key already follows the same one (another
   * process rotated), or when that one is withdrawn or gone.
   */
  addSigningKey(key: SigningKey, change: { now: number; previousExpiresAt: number | null }): Promise<void>;
  /**
   * Takes a key out of the JWKS at once (its expiry becomes `now`), for a key that is compromised,
   * and out of the chain of rotations: the key that followed it follows its predecessor instead.
   * Returns false when no key with this kid is published at `now`.
   */
  withdrawSigningKey(kid: string, now: number): Promise<boolean>;
}
