import type { Application, ClientSecret } from './application.js';
import { unavailableOnError } from './cached-lookup.js';
import type { ChangeFeed } from './change-feed.js';
import type { Clock } from './clock.js';
import type { Store } from './store.js';
import type { TokenClass } from './token-class.js';

/** What the token endpoint needs to know about a client, resolved once and kept in memory. */
export interface Client {
  readonly clientId: string;
  readonly active: boolean;
  readonly tokenClasses: ReadonlySet<TokenClass>;
  /** Lifetimes in seconds, per-application overrides already applied. */
  readonly lifetimes: Readonly<Record<TokenClass, number>>;
  readonly secrets: readonly { readonly digest: Buffer; readonly expiresAt: number | null }[];
  /** May introspect every application's tokens. */
  readonly resourceServer: boolean;
}

export interface DirectoryOptions {
  readonly defaultLifetimes: Readonly<Record<TokenClass, number>>;
  /** A full load failed (it is tried again, after RETRY_MIN_MS and then up to RETRY_MAX_MS). */
  readonly onLoadError?: (error: unknown) => void;
  /**
   * How often a following directory loads everything again, as a safety net for a change notice
   * that never came (one committed while the store's LISTEN was still being set up). Default 5 min.
   */
  readonly resyncEveryMs?: number;
  /** The first wait before a failed full load is tried again; it doubles up to 30 s. Default 1 s. */
  readonly retryMs?: number;
  /** Applications read per query of a full load. Default 1000. */
  readonly pageSize?: number;
  /**
   * The least time between the starts of two full loads (and at least 4 times the last one's
   * length), so that a stream of `anything` (with SQLite, every write of a sibling worker: audit
   * counts, revocations) cannot keep a process busy reloading. Default 1 s.
   */
  readonly reloadGapMs?: number;
}

const RESYNC_EVERY_MS = 5 * 60_000;
const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 30_000;
/** Applications read per query of a full load. */
const LOAD_PAGE_SIZE = 1_000;
const RELOAD_GAP_MS = 1_000;

/**
 * Every application by client_id, in memory, so that authenticating a token request never reads
 * the database: not for a known client_id, and not for an unknown one either, which would make an
 * unknown id slower to refuse than a wrong secret (and let a flood of random ids reach the
 * database). Cost: one Client per application, some 400 bytes (measured: 100 000 applications
 * with one secret each take 35 MB of heap and 3 MB of digests) in each process, each worker; a
 * full load of 100 000 takes about 1 s, a page of 1000 at a time. There is no cap: applications
 * are made by operators, not by requests, and an unknown id must never reach the database.
 *
 * Once `follow()` has loaded everything ("complete"), an id that is neither held nor named by a
 * change notice since is unknown, answered at once. A notice `{application, id}` drops that id and
 * marks it stale: its next request reads it through (then it is held, or known to be absent).
 * `{anything}` (another process wrote to SQLite; PostgreSQL notices were missed) drops everything
 * and loads it all again in the background; until that lands, and while notices are not arriving,
 * a miss is read through rather than refused. Without `follow()` (a one-shot CLI command, which
 * does not watch the store) every miss is read through.
 */
export class ClientDirectory {
  private clients = new Map<string, Client>();
  /** Ids named by a change notice since the last full load: read through, never answered from memory. */
  private readonly stale = new Set<string>();
  /** Read-throughs in flight; a change to the id removes its entry, so that its result is not kept. */
  private readonly loading = new Map<string, Promise<Client | null>>();
  /** `clients` and `stale` account for every application: an id in neither does not exist. */
  private complete = false;
  /** Bumped by `anything`: a full load that started before it is not kept. */
  private epoch = 0;
  /** The ids changed while the running full load reads: they stay stale when it lands. */
  private changedDuringLoad: Set<string> | undefined;
  private following = false;
  private reloading = false;
  private reloadWanted = false;
  private retryMs: number;
  /** A full load waiting for its turn: a retry, or the gap after the last one. */
  private timer: NodeJS.Timeout | undefined;
  /** When the last full load started and how long it took (performance.now(), ms). */
  private lastLoad = { startedAt: Number.NEGATIVE_INFINITY, took: 0 };
  private resyncTimer: NodeJS.Timeout | undefined;
  private waiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly feed: ChangeFeed,
    private readonly options: DirectoryOptions,
  ) {
    this.retryMs = options.retryMs ?? RETRY_MIN_MS;
    feed.subscribe((change) => {
      if (change.entity === 'application') this.changed(change.id);
      else if (change.entity === 'anything') this.startOver();
    });
  }

  /** The client, or null when no application has this client_id. */
  find(clientId: string): Promise<Client | null> {
    this.feed.assertFresh();
    const client = this.clients.get(clientId);
    if (client !== undefined) return Promise.resolve(client);
    if (this.complete && !this.stale.has(clientId) && this.feed.noticesLostSince === null) {
      return Promise.resolve(null);
    }
    return this.loading.get(clientId) ?? this.readThrough(clientId);
  }

  /** Whether an unknown client_id is answered from memory (everything loaded, notices arriving). */
  get holdsEveryApplication(): boolean {
    return this.complete && this.feed.noticesLostSince === null;
  }

  /**
   * Loads every application now, and again on `anything` and every `resyncEveryMs`, until `stop()`.
   * Call it once the store's changes are watched, so that no change falls between load and watch
   * (SQLite's watch starts at once; PostgreSQL's LISTEN connects in the background: the resync
   * covers a change committed in that moment).
   */
  follow(): void {
    if (this.following) return;
    this.following = true;
    this.resyncTimer = setInterval(() => this.reload(), this.options.resyncEveryMs ?? RESYNC_EVERY_MS);
    this.resyncTimer.unref();
    this.reload();
  }

  stop(): void {
    this.following = false;
    clearInterval(this.resyncTimer);
    clearTimeout(this.timer);
    this.timer = undefined;
    this.rejectWaiters(new Error('the client directory stopped following the store'));
  }

  /**
   * Resolves when the directory holds every application: at once if it does, else when the full
   * load under way lands. Rejects when that load fails (it is retried all the same), or when the
   * directory does not follow the store.
   */
  loaded(): Promise<void> {
    if (this.complete) return Promise.resolve();
    if (!this.following) return Promise.reject(new Error('the client directory does not follow the store'));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private changed(clientId: string): void {
    this.clients.delete(clientId);
    this.loading.delete(clientId);
    this.stale.add(clientId);
    this.changedDuringLoad?.add(clientId);
  }

  private startOver(): void {
    this.epoch++;
    this.complete = false;
    this.clients = new Map();
    this.loading.clear();
    this.stale.clear();
    // The store answers again (PostgreSQL sends this on reconnecting): no need to wait for a retry.
    clearTimeout(this.timer);
    this.timer = undefined;
    this.reload();
  }

  /** One full load at a time; asking during one makes another follow it, after the gap. */
  private reload(): void {
    if (!this.following) return;
    this.reloadWanted = true;
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
      this.reload();
    }, ms);
    this.timer.unref();
  }

  private async loadOnce(): Promise<void> {
    try {
      // A load superseded by `anything` stops, and gives way to the next one after the gap.
      if (this.reloadWanted && this.following) {
        this.reloadWanted = false;
        const epoch = this.epoch;
        const changed = new Set<string>();
        this.changedDuringLoad = changed;
        const startedAt = performance.now();
        this.lastLoad = { startedAt, took: 0 };
        let clients: Map<string, Client> | undefined;
        try {
          clients = await this.readAll(epoch);
        } catch (error) {
          if (this.following) this.options.onLoadError?.(error);
          this.rejectWaiters(error);
          this.retryLater();
          return;
        } finally {
          this.lastLoad = { startedAt, took: performance.now() - startedAt };
          if (this.changedDuringLoad === changed) this.changedDuringLoad = undefined;
        }
        // An `anything` while reading: the rows may predate it, and another load is wanted already.
        if (clients === undefined || epoch !== this.epoch || !this.following) return;
        // Changed while reading: the row may be the old one, so the id stays stale (read through).
        this.stale.clear();
        for (const id of changed) {
          clients.delete(id);
          this.stale.add(id);
        }
        this.clients = clients;
        this.complete = true;
        this.retryMs = this.options.retryMs ?? RETRY_MIN_MS;
        for (const waiter of this.waiters.splice(0)) waiter.resolve();
      }
    } finally {
      this.reloading = false;
      // Asked for again while this one ran (an `anything`, a resync): it comes after the gap.
      if (this.reloadWanted && this.following && this.timer === undefined) this.reload();
    }
  }

  /**
   * Every application, a page at a time, letting requests in between pages: SQLite (node:sqlite) reads
   * synchronously, and one read of them all would stall the server (some 0.5 s per 100 000 on a
   * small machine). Pages read at different moments, which is safe: a change committed after the
   * load began is told after it began, so its id is in `changedDuringLoad` (or the load is dropped).
   */
  private async readAll(epoch: number): Promise<Map<string, Client> | undefined> {
    const clients = new Map<string, Client>();
    const now = this.clock.now();
    const limit = this.options.pageSize ?? LOAD_PAGE_SIZE;
    let after: string | undefined;
    for (;;) {
      const page = await this.store.listApplicationsWithLiveSecrets(now, { limit, after });
      for (const { application, secrets } of page) {
        clients.set(application.clientId, this.client(application, secrets));
      }
      if (page.length < limit) return clients;
      after = page.at(-1)?.application.clientId;
      await new Promise((resolve) => setImmediate(resolve));
      if (epoch !== this.epoch || !this.following) return undefined;
    }
  }

  private retryLater(): void {
    if (!this.following) return;
    this.reloadWanted = true;
    this.later(this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }

  private rejectWaiters(error: unknown): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }

  /** Reads one client from the store; the answer is kept unless a change to it came meanwhile. */
  private readThrough(clientId: string): Promise<Client | null> {
    const promise = this.read(clientId).then(
      (client) => {
        if (this.loading.get(clientId) === promise) {
          this.loading.delete(clientId);
          if (client !== null) this.clients.set(clientId, client);
          this.stale.delete(clientId);
        }
        return client;
      },
      (error: unknown) => {
        if (this.loading.get(clientId) === promise) this.loading.delete(clientId);
        throw error;
      },
    );
    this.loading.set(clientId, promise);
    return promise;
  }

  private async read(clientId: string): Promise<Client | null> {
    const [application, secrets] = await unavailableOnError(() =>
      Promise.all([
        this.store.findApplication(clientId),
        this.store.listLiveSecrets(clientId, this.clock.now()),
      ]),
    );
    return application ? this.client(application, secrets) : null;
  }

  private client(application: Application, secrets: readonly ClientSecret[]): Client {
    const defaults = this.options.defaultLifetimes;
    return {
      clientId: application.clientId,
      active: application.status === 'active',
      tokenClasses: tokenClassSet(application.tokenClasses),
      lifetimes:
        application.apiTokenTtl === null && application.customerTokenTtl === null
          ? defaults
          : {
              api: application.apiTokenTtl ?? defaults.api,
              customer: application.customerTokenTtl ?? defaults.customer,
            },
      secrets: secrets.map((s) => ({ digest: Buffer.from(s.digest, 'hex'), expiresAt: s.expiresAt })),
      resourceServer: application.resourceServer,
    };
  }
}

/** One frozen set per combination of token classes, shared by every client that has it. */
const tokenClassSets = new Map<string, ReadonlySet<TokenClass>>();

function tokenClassSet(classes: readonly TokenClass[]): ReadonlySet<TokenClass> {
  const key = [...classes].sort().join(' ');
  let set = tokenClassSets.get(key);
  if (set === undefined) {
    set = new Set(classes);
    tokenClassSets.set(key, set);
  }
  return set;
}
