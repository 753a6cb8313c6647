import { unavailableOnError } from './cached-lookup.js';
import type { ChangeFeed } from './change-feed.js';
import { type Client, toClient } from './client.js';
import { ClientIndex } from './client-index.js';
import type { Clock } from './clock.js';
import type { Eventually } from './eventually.js';
import { type ReloadOptions, ReloadScheduler } from './reload-scheduler.js';
import { SingleFlight } from './single-flight.js';
import type { Store } from './store.js';
import type { TokenClass } from './token-class.js';

export interface DirectoryOptions extends ReloadOptions {
  readonly defaultLifetimes: Readonly<Record<TokenClass, number>>;
  /**
   * How often a following directory loads everything again, as a safety net for a change notice
   * that never came (one committed while the store's LISTEN was still being set up). Default 5 min.
   * The gap between loads (reloadGapMs) keeps a stream of `anything` (with SQLite, every write of a
   * sibling worker: audit counts, revocations) from keeping a process busy reloading.
   */
  readonly resyncEveryMs?: number;
  /** Applications read per query of a full load. Default 1000. */
  readonly pageSize?: number;
}

/** Applications read per query of a full load. */
const LOAD_PAGE_SIZE = 1_000;

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
 * `{anything}` (another process wrote to SQLite, a sibling worker's audit flush included;
 * PostgreSQL notices were missed) loads it all again in the background. The held clients are
 * answered until that load swaps the new set in (as if the notice had come that much later), so a
 * stream of `anything`, which failing requests can cause, keeps known clients off the database;
 * until it lands, and while notices are not arriving, a miss is read through rather than refused
 * (an application just made elsewhere is found). Without `follow()` (a one-shot CLI command, which
 * does not watch the store) every miss is read through.
 */
export class ClientDirectory {
  private readonly index = new ClientIndex();
  /** Read-throughs in flight; a change to the id forgets its read, so that its result is not kept. */
  private readonly reads = new SingleFlight<Client | null>();
  private readonly scheduler: ReloadScheduler;
  /** Bumped by `anything`: a full load that started before it is not kept. */
  private epoch = 0;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly feed: ChangeFeed,
    private readonly options: DirectoryOptions,
  ) {
    this.scheduler = new ReloadScheduler(() => this.loadAll(), options);
    feed.subscribe((change) => {
      if (change.entity === 'application') this.changed(change.id);
      else if (change.entity === 'anything') this.startOver();
    });
  }

  /** The client, or null when no application has this client_id. */
  find(clientId: string): Eventually<Client | null> {
    this.feed.assertFresh();
    const client = this.index.get(clientId);
    if (client !== undefined) return client;
    if (this.index.knownAbsent(clientId) && this.feed.noticesLostSince === null) return null;
    return this.reads.run(
      clientId,
      () => this.read(clientId),
      (found) => this.index.keep(clientId, found),
    );
  }

  /**
   * Loads every application now, and again on `anything` and every `resyncEveryMs`, until `stop()`.
   * Call it once the store's changes are watched, so that no change falls between load and watch
   * (SQLite's watch starts at once; PostgreSQL's LISTEN connects in the background: the resync
   * covers a change committed in that moment).
   */
  follow(): void {
    this.scheduler.start();
  }

  stop(): void {
    this.scheduler.stop();
  }

  /**
   * Resolves when the directory holds every application: at once if it does, else when the full
   * load under way lands. Rejects when that load fails (it is retried all the same), or when the
   * directory does not follow the store.
   */
  loaded(): Promise<void> {
    return this.scheduler.landed(this.index.complete);
  }

  private changed(clientId: string): void {
    this.index.changed(clientId);
    this.reads.forget(clientId);
  }

  private startOver(): void {
    this.epoch++;
    this.index.markIncomplete();
    this.reads.clear();
    // The store answers again (PostgreSQL sends this on reconnecting): no need to wait for a retry.
    this.scheduler.requestNow();
  }

  /** One full load; false when an `anything` (or stop) superseded it while it read. */
  private async loadAll(): Promise<boolean> {
    const epoch = this.epoch;
    const changed = this.index.beginLoad();
    try {
      const clients = await this.readAll(epoch);
      // An `anything` while reading: the rows may predate it, and another load is wanted already.
      if (clients === undefined || epoch !== this.epoch || !this.scheduler.following) return false;
      // Changed while reading: the row may be the old one, so the id stays stale (read through).
      this.index.replaceAll(clients, changed);
      return true;
    } finally {
      this.index.endLoad(changed);
    }
  }

  /**
   * Every application, a page at a time, letting requests in between pages: SQLite (node:sqlite) reads
   * synchronously, and one read of them all would stall the server (some 0.5 s per 100 000 on a
   * small machine). Pages read at different moments, which is safe: a change committed after the
   * load began is told after it began, so its id is in the load's changed set (or the load is dropped).
   */
  private async readAll(epoch: number): Promise<Map<string, Client> | undefined> {
    const clients = new Map<string, Client>();
    const now = this.clock.now();
    const limit = this.options.pageSize ?? LOAD_PAGE_SIZE;
    let after: string | undefined;
    for (;;) {
      const page = await this.store.listApplicationsWithLiveSecrets(now, { limit, after });
      for (const { application, secrets } of page) {
        clients.set(application.clientId, toClient(application, secrets, this.options.defaultLifetimes));
      }
      if (page.length < limit) return clients;
      after = page.at(-1)?.application.clientId;
      await new Promise((resolve) => setImmediate(resolve));
      if (epoch !== this.epoch || !this.scheduler.following) return undefined;
    }
  }

  private async read(clientId: string): Promise<Client | null> {
    const [application, secrets] = await unavailableOnError(() =>
      Promise.all([
        this.store.findApplication(clientId),
        this.store.listLiveSecrets(clientId, this.clock.now()),
      ]),
    );
    return application ? toClient(application, secrets, this.options.defaultLifetimes) : null;
  }
}
