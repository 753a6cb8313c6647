/** A token revoked before its expiry (RFC 7009). */
export interface RevokedToken {
  readonly jti: string;
  readonly clientId: string;
  readonly revokedAt: number;
  /** The token's own exp, in ms: the record is useless, and purged, after it. */
  readonly expiresAt: number;
}

/** Where revocations are kept. */
export interface RevocationStore {
  /** Records a revoked token; revoking one twice keeps the first record. */
  revokeToken(token: RevokedToken): Promise<void>;
  isTokenRevoked(jti: string): Promise<boolean>;
  /** Deletes revocation records of tokens expired at `now`; returns how many. */
  purgeRevokedTokens(now: number): Promise<number>;
}
