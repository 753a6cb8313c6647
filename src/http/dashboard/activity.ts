import type { Counter } from 'prom-client';
import type { Metrics } from '../metrics.js';
import type { ActivitySeries } from './dashboard-context.js';

const MINUTE = 60_000;
const MINUTES = 60;
const SAMPLE_EVERY_MS = 5_000;

interface Counts {
  api: number;
  customer: number;
  failed: number;
}

/**
 * Tokens issued per minute by class, and failed client authentications, over the last hour: the
 * Prometheus counters this process keeps (no storage, nothing on the token path), sampled every few
 * seconds. Per process: with WORKERS=n or several instances each shows its own share.
 */
export class Activity {
  private readonly minutes = new Map<number, Counts>();
  private last: Counts | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly metrics: Metrics,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    if (this.timer) return;
    void this.sample();
    this.timer = setInterval(() => void this.sample(), SAMPLE_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reads the counters and adds what grew since the last reading to the current minute. */
  async sample(): Promise<void> {
    const current = await this.read();
    const previous = this.last ?? current;
    this.last = current;
    const minute = Math.floor(this.now() / MINUTE);
    const bucket = this.minutes.get(minute) ?? { api: 0, customer: 0, failed: 0 };
    bucket.api += current.api - previous.api;
    bucket.customer += current.customer - previous.customer;
    bucket.failed += current.failed - previous.failed;
    this.minutes.set(minute, bucket);
    for (const key of this.minutes.keys()) if (key <= minute - MINUTES) this.minutes.delete(key);
  }

  series(): ActivitySeries {
    const last = Math.floor(this.now() / MINUTE);
    const minutes = Array.from({ length: MINUTES }, (_, i) => last - MINUTES + 1 + i);
    const at = (m: number) => this.minutes.get(m) ?? { api: 0, customer: 0, failed: 0 };
    return {
      minutes: minutes.map((m) => new Date(m * MINUTE).toISOString().slice(11, 16)),
      api: minutes.map((m) => at(m).api),
      customer: minutes.map((m) => at(m).customer),
      failed: minutes.map((m) => at(m).failed),
    };
  }

  private async read(): Promise<Counts> {
    const value = async (name: string, label: string, wanted: string) => {
      const metric = this.metrics.registry.getSingleMetric(name) as Counter | undefined;
      const values = metric ? (await metric.get()).values : [];
      return values.filter((v) => v.labels[label] === wanted).reduce((sum, v) => sum + v.value, 0);
    };
    return {
      api: await value('lean_auth_tokens_issued_total', 'token_class', 'api'),
      customer: await value('lean_auth_tokens_issued_total', 'token_class', 'customer'),
      failed: await value('lean_auth_oauth_errors_total', 'error', 'invalid_client'),
    };
  }
}
