import type { Clock } from '../clock.js';
import type { FailedAuthentications } from '../failed-authentications.js';

/** Wrong codes allowed per operator in one window; then every code is refused until the window passes. */
export const TOTP_MAX_FAILURES = 5;
export const TOTP_WINDOW_MS = 5 * 60_000;

export const OPERATOR_TOTP_FAILED = { action: 'operator.totp_failed', targetType: 'operator' } as const;

/** Who is typing a code: the operator whose password was right. */
interface Attempter {
  readonly id: string;
  readonly email: string;
}

/**
 * The limit on TOTP codes. Unlike a client secret or a password, a 6-digit code is guessable (3 of
 * a million match at any moment), and whoever knows the password may guess it: so a right code is
 * refused too once an operator has failed TOTP_MAX_FAILURES times in TOTP_WINDOW_MS, from any
 * session or address. Counted per process, in memory (operators are few); each failure, and each
 * refusal, goes to the audit log's tally (`operator.totp_failed`, per operator and address).
 */
export class TotpAttempts {
  /** The times of each operator's recent wrong codes, oldest first. */
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly clock: Clock,
    private readonly tally: FailedAuthentications,
  ) {}

  /**
   * The seconds `operator` must wait before a code is checked again; 0 when one may be checked now.
   * A refusal is audited as a throttled failure.
   */
  refusal(operator: Attempter, sourceIp: string): number {
    const recent = this.recent(operator.id);
    const oldest = recent.length >= TOTP_MAX_FAILURES ? recent[recent.length - TOTP_MAX_FAILURES] : undefined;
    if (oldest === undefined) return 0;
    this.tally.note(operator.email, sourceIp, true);
    return Math.max(1, Math.ceil((oldest + TOTP_WINDOW_MS - this.clock.now()) / 1000));
  }

  /** A wrong code. */
  failed(operator: Attempter, sourceIp: string): void {
    this.recent(operator.id).push(this.clock.now());
    this.tally.note(operator.email, sourceIp);
  }

  /** A right code: the operator starts afresh. */
  succeeded(operator: Attempter): void {
    this.failures.delete(operator.id);
  }

  /** The operator's wrong codes within the window (older ones forgotten). */
  private recent(operatorId: string): number[] {
    const since = this.clock.now() - TOTP_WINDOW_MS;
    const kept = (this.failures.get(operatorId) ?? []).filter((at) => at > since);
    this.failures.set(operatorId, kept);
    return kept;
  }
}
