export interface ReloadOptions {
  /** A full load failed (it is tried again, after RETRY_MIN_MS and then up to RETRY_MAX_MS). */
  readonly onLoadError?: ((error: unknown) => void) | undefined;
  /** How often to load everything again regardless, as a safety net. Default 5 min. */
  readonly resyncEveryMs?: number | undefined;
  /** The first wait before a failed full load is tried again; it doubles up to 30 s. Default 1 s. */
  readonly retryMs?: number | undefined;
  /**
   * The least time between the starts of two full loads (and at least 4 times the last one's
   * length), so that a stream of requests cannot keep a process busy reloading. Default 1 s.
   */
  readonly reloadGapMs?: number | undefined;
}

const RESYNC_EVERY_MS = 5 * 60_000;
const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 30_000;
const RELOAD_GAP_MS = 1_000;

/**
 * When a full load runs: one at a time, asked for again while one runs makes another follow it
 * after a gap, failures retried with a doubling wait, and a periodic resync. `load` resolves true
 * when its result landed, false when something superseded it (another load is wanted then).
 */
export class ReloadScheduler {
  private running = false;
  private reloading = false;
  private wanted = false;
  private retryMs: number;
  /** A full load waiting for its turn: a retry, or the gap after the last one. */
  private timer: NodeJS.Timeout | undefined;
  /** When the last full load started and how long it took (performance.now(), ms). */
  private lastLoad = { startedAt: Number.NEGATIVE_INFINITY, took: 0 };
  private resyncTimer: NodeJS.Timeout | undefined;
  private waiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];

  constructor(
    private readonly load: () => Promise<boolean>,
    private readonly options: ReloadOptions,
  ) {
    this.retryMs = options.retryMs ?? RETRY_MIN_MS;
  }

  /** Between start() and stop(). */
  get following(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.resyncTimer = setInterval(() => this.request(), this.options.resyncEveryMs ?? RESYNC_EVERY_MS);
    this.resyncTimer.unref();
    this.request();
  }

  stop(): void {
    this.running = false;
    clearInterval(this.resyncTimer);
    clearTimeout(this.timer);
    this.timer = undefined;
    this.rejectWaiters(new Error('the client directory stopped following the store'));
  }

  /** Resolves when a load lands (at once when `complete`); rejects when it fails or when stopped. */
  landed(complete: boolean): Promise<void> {
    if (complete) return Promise.resolve();
    if (!this.running) return Promise.reject(new Error('the client directory does not follow the store'));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Asks for a load without waiting out a pending retry: the store answers again. */
  requestNow(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.request();
  }

  /** One full load at a time; asking during one makes another follow it, after the gap. */
  request(): void {
    if (!this.running) return;
    this.wanted = true;
    if (this.reloading || this.timer !== undefined) return;
    const gap = Math.max(this.options.reloadGapMs ?? RELOAD_GAP_MS, 4 * this.lastLoad.took);
    const wait = this.lastLoad.startedAt + gap - performance.now();
    if (wait > 0) {
      this.later(wait);
      return;
    }
    this.reloading = true;
    void this.loadOnce();
  }

  private later(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.request();
    }, ms);
    this.timer.unref();
  }

  private async loadOnce(): Promise<void> {
    try {
      if (!this.wanted || !this.running) return;
      this.wanted = false;
      const startedAt = performance.now();
      this.lastLoad = { startedAt, took: 0 };
      let landed: boolean;
      try {
        landed = await this.load();
      } catch (error) {
        if (this.running) this.options.onLoadError?.(error);
        this.rejectWaiters(error);
        this.retryLater();
        return;
      } finally {
        this.lastLoad = { startedAt, took: performance.now() - startedAt };
      }
      if (!landed || !this.running) return;
      this.retryMs = this.options.retryMs ?? RETRY_MIN_MS;
      for (const waiter of this.waiters.splice(0)) waiter.resolve();
    } finally {
      this.reloading = false;
      // Asked for again while this one ran (an `anything`, a resync): it comes after the gap.
      if (this.wanted && this.running && this.timer === undefined) this.request();
    }
  }

  private retryLater(): void {
    if (!this.running) return;
    this.wanted = true;
    this.later(this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }

  private rejectWaiters(error: unknown): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }
}
