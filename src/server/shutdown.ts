import type { FastifyInstance } from 'fastify';

/** How long requests in flight get to finish after a stop before their connections are cut. */
export const SHUTDOWN_GRACE_MS = 10_000;
/** How often, while closing, keep-alive connections that have turned idle are closed. */
const IDLE_SWEEP_MS = 50;
/** After a stop, how long the process may take to exit by itself before it is made to. */
const EXIT_DEADLINE_MS = 5_000;

/**
 * Stops accepting connections, lets the requests in flight finish, and resolves once every
 * connection is closed. A keep-alive connection is closed as soon as its response is out (not after
 * the keep-alive timeout), and after `graceMs` whatever is still open is cut, so that a client that
 * never finishes its request cannot hold the stop up.
 */
export async function closeGracefully(
  apps: readonly FastifyInstance[],
  graceMs = SHUTDOWN_GRACE_MS,
): Promise<void> {
  const sweep = setInterval(() => {
    for (const app of apps) app.server.closeIdleConnections();
  }, IDLE_SWEEP_MS);
  const cut = setTimeout(() => {
    for (const app of apps) app.server.closeAllConnections();
  }, graceMs);
  try {
    await Promise.all(apps.map((app) => app.close()));
  } finally {
    clearInterval(sweep);
    clearTimeout(cut);
  }
}

/**
 * The first SIGTERM or SIGINT, or a stop asked for in code. The handlers stay installed after the
 * first: Ctrl-C reaches every process of a cluster at once, and the primary forwards SIGTERM too,
 * so a second signal must not kill a process halfway through its graceful stop (which is bounded).
 */
export class StopRequest {
  /** Resolves with the signal (or reason) of the first stop request. */
  readonly reason: Promise<string>;
  private resolveReason: (reason: string) => void = () => {};
  private requested = false;

  constructor() {
    this.reason = new Promise((resolve) => {
      this.resolveReason = resolve;
    });
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => this.request(signal));
  }

  get isRequested(): boolean {
    return this.requested;
  }

  request(reason: string): void {
    if (this.requested) return;
    this.requested = true;
    this.resolveReason(reason);
  }
}

/**
 * After a graceful stop the process should exit by itself, its event loop empty; should a forgotten
 * timer or socket keep it alive, this makes it exit anyway (with process.exitCode).
 */
export function exitSoonAfterStop(): void {
  setTimeout(() => process.exit(), EXIT_DEADLINE_MS).unref();
}
