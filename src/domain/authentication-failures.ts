import type { AuthThrottle } from './auth-throttle.js';
import type { FailedAuthentications } from './failed-authentications.js';

/** Where a failed authentication is told: the throttle counts it, and so does the audit log's tally. */
export class AuthenticationFailures {
  constructor(
    private readonly throttle: AuthThrottle,
    private readonly tally: FailedAuthentications,
  ) {}

  /**
   * One failure naming `subject` (a client_id) from `sourceIp`. Returns the seconds the caller must
   * wait, to be answered 429; 0 to answer as usual. Memory only: no I/O on the way.
   */
  record(subject: string, sourceIp: string): number {
    const wait = this.throttle.failed(subject, sourceIp);
    this.tally.note(subject, sourceIp, wait > 0);
    return wait;
  }
}
