import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { ThrottleCountsHost } from './cluster-throttle-counters.js';
import { firstStartBanners, prepareFirstStart } from './first-start.js';
import { SHUTDOWN_GRACE_MS, StopRequest } from './shutdown.js';
import { startServer } from './start-server.js';

/** The first restart of a worker that died comes this soon; each quick death in a row doubles it. */
const RESTART_DELAY_MS = 100;
const MAX_RESTART_DELAY_MS = 5_000;
/** A worker that ran this long before it died was healthy: its restart starts the backoff afresh. */
const HEALTHY_AFTER_MS = 10_000;
/** A worker still alive this long after being told to stop is killed. */
const STOP_DEADLINE_MS = SHUTDOWN_GRACE_MS + 5_000;

/** What a worker tells the primary once it accepts requests. */
interface ListeningMessage {
  readonly leanAuth: 'listening';
  readonly url: string;
  readonly adminUrl: string;
}

/** What a worker tells the primary when it cannot start: why, in the words the user should see. */
interface FailedMessage {
  readonly leanAuth: 'failed';
  readonly message: string;
}

function isListeningMessage(message: unknown): message is ListeningMessage {
  return (message as Partial<ListeningMessage> | null)?.leanAuth === 'listening';
}

function isFailedMessage(message: unknown): message is FailedMessage {
  return (message as Partial<FailedMessage> | null)?.leanAuth === 'failed';
}

/**
 * WORKERS=n, the primary: does the one-time start work (migrations, signing key, sandbox demo, and
 * the banners), forks n workers that serve on the same port, restarts those that die, and on
 * SIGTERM or SIGINT stops them gracefully and resolves.
 */
export async function runPrimary(config: Config, logger: Logger): Promise<void> {
  const stop = new StopRequest();
  const first = await prepareFirstStart(config, logger);
  if (stop.isRequested) {
    process.stderr.write(firstStartBanners(config, first, config.issuer));
    return;
  }

  const pool = new WorkerPool(config.workers, logger);
  const ready = pool.start();
  ready.catch(() => {});
  const started = await Promise.race([ready, stop.reason.then(() => undefined)]).catch(
    (error: unknown) => error as Error,
  );
  // Printed whatever happened: the demo secret exists from now on and is shown only this once.
  const listening = started instanceof Error ? undefined : started;
  process.stderr.write(firstStartBanners(config, first, listening?.adminUrl ?? config.issuer));
  if (started instanceof Error) {
    await pool.stop();
    throw started;
  }
  if (started) {
    logger.info(
      {
        url: started.url,
        adminUrl: `${started.adminUrl}/admin/v1`,
        issuer: config.issuer,
        env: config.env,
        workers: config.workers,
      },
      'lean-auth is listening',
    );
  }
  logger.info({ signal: await stop.reason }, 'shutting down');
  if (!(await pool.stop())) throw new Error('a worker did not stop in time and was killed');
  logger.info('all workers stopped');
}

/**
 * WORKERS=n, one worker: serves until a signal tells it to stop. (A worker whose primary is gone,
 * killed itself, is ended by node:cluster.)
 */
export async function runWorker(config: Config, baseLogger: Logger): Promise<void> {
  const logger = baseLogger.child({ worker: cluster.worker?.id });
  const stop = new StopRequest();
  try {
    const server = await startServer(config, logger, undefined, { firstStart: false }).catch(
      (error: unknown) => reportToPrimary(error),
    );
    const listening: ListeningMessage = { leanAuth: 'listening', url: server.url, adminUrl: server.adminUrl };
    logger.info({ url: server.url }, 'worker listening');
    process.send?.(listening);
    logger.info({ signal: await stop.reason }, 'worker shutting down');
    await server.close();
  } finally {
    // The IPC channel would keep the process alive.
    if (process.connected) cluster.worker?.disconnect();
  }
}

/**
 * A worker that cannot start (the port is taken, say) tells the primary why and exits: the primary
 * says it once, rather than every worker printing the same line.
 */
async function reportToPrimary(error: unknown): Promise<never> {
  const failed: FailedMessage = {
    leanAuth: 'failed',
    message: error instanceof Error ? error.message : String(error),
  };
  await new Promise((resolve) =>
    process.send ? process.send(failed, undefined, {}, resolve) : resolve(null),
  );
  process.exit(1);
}

interface Slot {
  worker: Worker | undefined;
  /** Why its worker could not start, as the worker said. */
  failure: string | undefined;
  startedAt: number;
  quickDeaths: number;
  restart: NodeJS.Timeout | undefined;
}

/** n worker processes, each kept running in its slot until stop(). */
class WorkerPool {
  private readonly slots: Slot[];
  private readonly listening = new WeakSet<Worker>();
  /** Without Redis, the workers count failed authentications here, together. */
  private readonly throttleCounts = new ThrottleCountsHost();
  private stopping = false;
  private everReady = false;
  private onReady: (message: ListeningMessage) => void = () => {};
  private onFailure: (error: Error) => void = () => {};

  constructor(
    size: number,
    private readonly logger: Logger,
  ) {
    this.slots = Array.from({ length: size }, () => ({
      worker: undefined,
      failure: undefined,
      startedAt: 0,
      quickDeaths: 0,
      restart: undefined,
    }));
  }

  /** Forks every worker; resolves once all listen, rejects if one dies before that. */
  start(): Promise<ListeningMessage> {
    // Every worker accepts from the one listening socket itself. Under round-robin the primary
    // accepts and hands each connection on, and one handed to a worker at the instant it dies is
    // lost: the client hangs. Here a dead worker's connections not yet accepted stay queued in the
    // kernel for the others.
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    const ready = new Promise<ListeningMessage>((resolve, reject) => {
      this.onReady = resolve;
      this.onFailure = reject;
    });
    for (const slot of this.slots) this.fork(slot);
    return ready;
  }

  /** Stops every worker gracefully; false if one had to be killed. */
  async stop(): Promise<boolean> {
    this.stopping = true;
    const running: Worker[] = [];
    for (const slot of this.slots) {
      clearTimeout(slot.restart);
      if (slot.worker && !slot.worker.isDead()) running.push(slot.worker);
    }
    let graceful = true;
    await Promise.all(
      running.map(async (worker) => {
        const exited = new Promise((resolve) => worker.once('exit', resolve));
        worker.process.kill('SIGTERM');
        const killer = setTimeout(() => {
          graceful = false;
          this.logger.error(
            { worker: worker.id, workerPid: worker.process.pid },
            'worker did not stop: killing it',
          );
          worker.process.kill('SIGKILL');
        }, STOP_DEADLINE_MS);
        await exited;
        clearTimeout(killer);
      }),
    );
    return graceful;
  }

  private fork(slot: Slot): void {
    slot.restart = undefined;
    slot.failure = undefined;
    slot.startedAt = Date.now();
    const worker = cluster.fork();
    slot.worker = worker;
    this.logger.info({ worker: worker.id, workerPid: worker.process.pid }, 'worker started');
    worker.on('message', (message: unknown) => {
      if (this.throttleCounts.handle(worker, message)) return;
      if (isFailedMessage(message)) slot.failure = message.message;
      if (!isListeningMessage(message)) return;
      this.listening.add(worker);
      if (!this.everReady && this.slots.every((s) => s.worker && this.listening.has(s.worker))) {
        this.everReady = true;
        this.onReady(message);
      }
    });
    worker.once('exit', (code, signal) => this.exited(slot, worker, code, signal));
  }

  private exited(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    if (this.stopping) return;
    const died = { worker: worker.id, workerPid: worker.process.pid, code, signal, reason: slot.failure };
    if (!this.everReady) {
      this.onFailure(
        new Error(
          slot.failure ?? `worker ${worker.id} exited (${signal ?? `code ${code}`}) before it listened`,
        ),
      );
      return;
    }
    slot.quickDeaths = Date.now() - slot.startedAt >= HEALTHY_AFTER_MS ? 0 : slot.quickDeaths + 1;
    const delay = Math.min(MAX_RESTART_DELAY_MS, RESTART_DELAY_MS * 2 ** Math.max(0, slot.quickDeaths - 1));
    this.logger.warn({ ...died, restartInMs: delay }, 'worker exited: restarting it');
    slot.restart = setTimeout(() => this.fork(slot), delay);
  }
}
