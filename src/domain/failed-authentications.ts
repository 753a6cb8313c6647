import { randomUUID } from 'node:crypto';
import type { AuditEvent, Store } from '../store/store.js';
import type { Clock } from './clock.js';

const FLUSH_EVERY_MS = 5_000;
/** Beyond this many distinct (client, address) pairs in one window, the rest are counted together. */
const MAX_PAIRS = 10_000;
const INSERT_BATCH = 500;

interface Tally {
  clientId: string;
  sourceIp: string;
  count: number;
  first: number;
  last: number;
}

/**
 * Failed client authentications go to the audit log, but never one write per failure: the token
 * endpoint only counts them in memory, and a timer writes one event per client and address every
 * few seconds. A flood of bad requests costs a bounded number of rows.
 */
export class FailedAuthentications {
  private tallies = new Map<string, Tally>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Counts one failure; no I/O. */
  note(clientId: string, sourceIp: string): void {
    const pair = `${clientId}\u0000${sourceIp}`;
    // A pair already counted keeps its own count; only new pairs past the cap share the '*' tally.
    const overflow = !this.tallies.has(pair) && this.tallies.size >= MAX_PAIRS;
    const key = overflow ? '*' : pair;
    const now = this.clock.now();
    const tally = this.tallies.get(key);
    if (tally) {
      tally.count++;
      tally.last = now;
    } else {
      this.tallies.set(key, {
        clientId: overflow ? '*' : clientId,
        sourceIp: overflow ? '*' : sourceIp,
        count: 1,
        first: now,
        last: now,
      });
    }
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush().catch(this.onError), FLUSH_EVERY_MS);
    this.timer.unref();
  }

  /** Writes what was counted since the last flush. */
  async flush(): Promise<void> {
    if (this.tallies.size === 0) return;
    const tallies = [...this.tallies.values()];
    this.tallies = new Map();
    const events: AuditEvent[] = tallies.map((t) => ({
      id: randomUUID(),
      at: t.last,
      actor: printable(t.sourceIp).slice(0, 200),
      action: 'client.authentication_failed',
      targetType: 'application',
      // client_id is whatever the caller sent: keep it short and printable (PostgreSQL refuses NUL).
      targetId: printable(t.clientId).slice(0, 80),
      detail: {
        count: t.count,
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
}

/** Control characters replaced by '?', so the text is safe to store and to show. */
function printable(text: string): string {
  return [...text].map((c) => (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f ? '?' : c)).join('');
}
