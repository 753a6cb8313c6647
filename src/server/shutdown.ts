import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';

/** How long requests in flight get to finish after a stop before their connections are cut. */
export const SHUTDOWN_GRACE_MS = 10_000;
/** How often, while closing, keep-alive connections that have turned idle are closed. */
const IDLE_SWEEP_MS = 50;
/** After a stop, how long the process may take to exit by itself before it is made to. */
const EXIT_DEADLINE_MS = 5_000;

/** The responses each server is working on, so that a stop can make them the last on their connection. */
const inFlight = new WeakMap<FastifyInstance['server'], Set<ServerResponse>>();

/** Keeps count of an app's requests in flight, for closeGracefully; call before it listens. */
export function trackRequestsInFlight(app: FastifyInstance): void {
  const responses = new Set<ServerResponse>();
  inFlight.set(app.server, responses);
  app.server.on('request', (_request, response: ServerResponse) => {
    responses.add(response);
    response.once('close', () => responses.delete(response));
  });
}

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
  // A response still to be written goes out with `Connection: close`: a client must not send its
  // next request down a connection that is about to close (Fastify would answer it 503).
  for (const app of apps) {
    for (const response of inFlight.get(app.server) ?? []) {
      if (!response.headersSent) response.shouldKeepAlive = false;
    }
  }
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
