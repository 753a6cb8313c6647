import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import type { FastifyInstance } from 'fastify';

/** How long requests in flight get to finish after a stop before their connections are cut. */
export const SHUTDOWN_GRACE_MS = 10_000;
/** How often, while closing, keep-alive connections that have turned idle are closed. */
const IDLE_SWEEP_MS = 50;
/** After a stop, how long the process may take to exit by itself before it is made to. */
const EXIT_DEADLINE_MS = 5_000;

/** A socket of node:http: the response it is writing (or is to write next), if any. */
type HttpSocket = Socket & { _httpMessage?: ServerResponse | null };

/**
 * Keeps track of an app's open connections, so that a stop (closeGracefully, or any app.close()) can
 * make the response in flight on each the last on its connection; call before it listens. Per
 * connection, not per request: a keep-alive connection carries up to 10,000 requests, and the token
 * path should not pay a listener for each (issue #5).
 */
export function trackRequestsInFlight(app: FastifyInstance): void {
  const sockets = new Set<Socket>();
  // Over HTTPS, node:http serves the TLS socket that 'secureConnection' gives, not the TCP one.
  const event = app.server instanceof TlsServer ? 'secureConnection' : 'connection';
  app.server.on(event, (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // Fastify answers every request routed once it is closing with `Connection: close`; a stop
  // makes the responses of the requests routed before it the last on their connections as well.
  // preClose runs after Fastify has begun closing and before the server stops listening, so that
  // no request falls between the two.
  app.addHook('preClose', (done) => {
    lastResponses(sockets);
    done();
  });
}

/**
 * A response still to be written goes out with `Connection: close`: a client must not send its next
 * request down a connection that is about to close. node:http writes one response at a time per
 * connection, the one in `socket._httpMessage` (its `shouldKeepAlive` decides the header, and the
 * connection ends after it); responses to requests pipelined behind it are not written.
 */
function lastResponses(sockets: Iterable<Socket>): void {
  for (const socket of sockets) {
    const response = (socket as HttpSocket)._httpMessage;
    if (response && !response.headersSent) response.shouldKeepAlive = false;
  }
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
  // The responses in flight are made the last on their connections by the preClose hook that
  // trackRequestsInFlight installs.
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
