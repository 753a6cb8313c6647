import type { AuditStore } from './audit-event.js';
import type { Clock } from './clock.js';

const DAY_MS = 86_400_000;
/** How often the log is trimmed; the first time soon after start. */
const PURGE_EVERY_MS = 60 * 60_000;
const FIRST_PURGE_AFTER_MS = 60_000;
/** Events deleted by one statement: short transactions, so no writer waits long behind them. */
export const PURGE_BATCH = 1_000;

/**
 * The audit log's retention (AUDIT_RETENTION_DAYS): events older than that are deleted in the
 * background, a batch at a time with a pause between batches, so that a long backlog (the first
 * purge of a large log) never holds the database. Every instance may run it: a batch another
 * instance already deleted is simply not there.
 */
export class AuditRetention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly store: AuditStore,
    private readonly clock: Clock,
    /** 0 keeps every event for ever. */
    private readonly days: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Deletes every event older than the retention; resolves to how many. */
  purge(): Promise<number> {
    this.running ??= this.purgeInBatches().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  start(): void {
    if (this.days === 0 || this.timer !== undefined) return;
    const run = (next: number) => {
      this.timer = setTimeout(() => {
        void this.purge()
          .catch(this.onError)
          .finally(() => {
            if (this.timer !== undefined) run(PURGE_EVERY_MS);
          });
      }, next);
      this.timer.unref();
    };
    run(FIRST_PURGE_AFTER_MS);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async purgeInBatches(): Promise<number> {
    if (this.days === 0) return 0;
    const before = this.clock.now() - this.days * DAY_MS;
    let total = 0;
    for (;;) {
      const deleted = await this.store.purgeAuditEvents(before, PURGE_BATCH);
      total += deleted;
      if (deleted < PURGE_BATCH) return total;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}
