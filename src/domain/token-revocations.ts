import { unavailableOnError } from './cached-lookup.js';
import type { Clock } from './clock.js';
import type { RevocationStore } from './revoked-token.js';

const PURGE_EVERY_MS = 10 * 60_000;
/** Records outlive their token by this much, so an instance whose clock runs behind still sees them. */
const CLOCK_SKEW_MARGIN_MS = 5 * 60_000;

/** RFC 7009 revocations: a revoked jti is kept until the token would have expired anyway. */
export class TokenRevocations {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: RevocationStore,
    private readonly clock: Clock,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** `expiresAt` is the token's exp, in seconds. */
  async revoke(token: { jti: string; clientId: string; expiresAt: number }): Promise<void> {
    await unavailableOnError(() =>
      this.store.revokeToken({
        jti: token.jti,
        clientId: token.clientId,
        revokedAt: this.clock.now(),
        expiresAt: token.expiresAt * 1000,
      }),
    );
  }

  isRevoked(jti: string): Promise<boolean> {
    return unavailableOnError(() => this.store.isTokenRevoked(jti));
  }

  /** Forgets revocations of tokens that expired (a clock-skew margin ago); returns how many. */
  purgeExpired(): Promise<number> {
    return this.store.purgeRevokedTokens(this.clock.now() - CLOCK_SKEW_MARGIN_MS);
  }

  startPurging(): void {
    this.timer ??= setInterval(() => void this.purgeExpired().catch(this.onError), PURGE_EVERY_MS);
    this.timer.unref();
  }

  stopPurging(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
