import { randomUUID } from 'node:crypto';
import { MAX_ADDRESS_LENGTH } from './address-key.js';
import type { AuditEvent, AuditStore } from './audit-event.js';
import type { Clock } from './clock.js';
import { printable } from './printable.js';

const FLUSH_EVERY_MS = 5_000;
/**
 * Distinct (subject, address) pairs that get an event of their own, per minute; the failures of
 * any further pair that minute are counted together in one overflow event per flush. So a flood
 * costs at most this many rows a minute (and 12 more), however many addresses and ids it uses.
 */
export const PAIRS_PER_MINUTE = 1_000;
const INSERT_BATCH = 500;
/** What is kept of the subject (a client_id: we issue UUIDs, 36 characters). */
const MAX_SUBJECT_LENGTH = 64;
/** What the overflow event names as its subject and address. */
const ANY = '*';

/** Which audit events a tally writes. */
export interface FailureKind {
  readonly action: string;
  readonly targetType: string;
}

const CLIENT_AUTHENTICATION_FAILED: FailureKind = {
  action: 'client.authentication_failed',
  targetType: 'application',
};
export const ADMIN_AUTHENTICATION_FAILED: FailureKind = {
  action: 'admin.authentication_failed',
  targetType: 'admin_api',
};

interface Tally {
  subject: string;
  sourceIp: string;
  count: number;
  /** Of `count`, how many the throttle answered 429. */
  throttled: number;
  first: number;
  last: number;
}

/**
 * Failed authentications go to the audit log, but never one write per failure: the endpoint only
 * counts them in memory, and a timer writes one event per subject and address every few seconds.
 * A flood of bad requests costs a bounded number of rows, each of bounded size.
 */
export class FailedAuthentications {
  private tallies = new Map<string, Tally>();
  private overflow: Tally | undefined;
  private budget = { minute: Number.NaN, pairsLeft: PAIRS_PER_MINUTE };
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: AuditStore,
    private readonly clock: Clock,
    private readonly onError: (error: unknown) => void,
    private readonly kind: FailureKind = CLIENT_AUTHENTICATION_FAILED,
  ) {}

  /** Counts one failure naming `subject` from `sourceIp`; `throttled` when it was answered 429. No I/O. */
  note(subject: string, sourceIp: string, throttled = false): void {
    const now = this.clock.now();
    const kept = printable(subject, MAX_SUBJECT_LENGTH);
    const address = printable(sourceIp, MAX_ADDRESS_LENGTH);
    // Printable: neither holds a NUL, which makes the pair's key unambiguous.
    const pair = `${kept}\u0000${address}`;
    let tally = this.tallies.get(pair);
    if (tally === undefined) {
      if (this.takeFromBudget(now)) {
        tally = newTally(kept, address, now);
        this.tallies.set(pair, tally);
      } else {
        this.overflow ??= newTally(ANY, ANY, now);
        tally = this.overflow;
      }
    }
    tally.count++;
    if (throttled) tally.throttled++;
    tally.last = now;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush().catch(this.onError), FLUSH_EVERY_MS);
    this.timer.unref();
  }

  /** Writes what was counted since the last flush. */
  async flush(): Promise<void> {
    const tallies = [...this.tallies.values(), ...(this.overflow ? [this.overflow] : [])];
    if (tallies.length === 0) return;
    this.tallies = new Map();
    this.overflow = undefined;
    const events: AuditEvent[] = tallies.map((t) => ({
      id: randomUUID(),
      at: t.last,
      actor: t.sourceIp,
      action: this.kind.action,
      targetType: this.kind.targetType,
      targetId: t.subject,
      detail: {
        count: t.count,
        throttled: t.throttled,
        source_ip: t.sourceIp,
        first_at: new Date(t.first).toISOString(),
        last_at: new Date(t.last).toISOString(),
      },
    }));
    // Databases cap the parameters of one statement: write in slices.
    for (let start = 0; start < events.length; start += INSERT_BATCH) {
      await this.store.insertAuditEvents(events.slice(start, start + INSERT_BATCH));
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** Whether a new pair may have an event of its own this minute (and counts it if so). */
  private takeFromBudget(now: number): boolean {
    const minute = Math.floor(now / 60_000);
    if (minute !== this.budget.minute) this.budget = { minute, pairsLeft: PAIRS_PER_MINUTE };
    if (this.budget.pairsLeft === 0) return false;
    this.budget.pairsLeft--;
    return true;
  }
}

function newTally(subject: string, sourceIp: string, now: number): Tally {
  return { subject, sourceIp, count: 0, throttled: 0, first: now, last: now };
}
