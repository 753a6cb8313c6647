import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/**
 * The sender of a flood of failing token requests, run as a child process of the flood harness
 * (test/load/flood.ts) so that it takes a CPU of its own, not the honest load generator's. It
 * pipelines pre-built requests over a few keep-alive connections bound to `localAddress` (any
 * 127.x.y.z is this machine), at `rate` a second, and counts the answers by status.
 */
export interface FloodPlan {
  readonly port: number;
  /** Source addresses to bind, in turn: one keeps the flood on one address; many rotate it. */
  readonly localAddresses: readonly string[];
  /** Requests a connection sends before it is closed and opened again from the next address. */
  readonly requestsPerConnection: number;
  readonly rate: number;
  readonly seconds: number;
  /** Client ids to send wrong secrets for (half the flood; the other half: unknown ids). */
  readonly clientIds: readonly string[];
}

export interface FloodResult {
  readonly sent: number;
  readonly answered: number;
  readonly statuses: Record<string, number>;
  readonly seconds: number;
}

const CONNECTIONS = 8;
/** Requests in flight on one connection, at most. */
const DEPTH = 64;
const TICK_MS = 5;

/** A pool of raw requests: wrong secrets for known clients, and unknown client ids. */
function buildRequests(port: number, clientIds: readonly string[]): Buffer[] {
  return Array.from({ length: 512 }, (_, i) => {
    const clientId = i % 2 === 0 ? (clientIds[i % clientIds.length] ?? randomUUID()) : randomUUID();
    const body = `grant_type=client_credentials&scope=api&client_id=${clientId}&client_secret=wrong-${i}`;
    return Buffer.from(
      `POST /oauth2/token HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
        `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
  });
}

export function runFlood(plan: FloodPlan): Promise<FloodResult> {
  const requests = buildRequests(plan.port, plan.clientIds);
  const statuses: Record<string, number> = {};
  let sent = 0;
  let answered = 0;
  let nextAddress = 0;
  let allowance = 0;
  const started = performance.now();
  const deadline = started + plan.seconds * 1000;

  interface Connection {
    socket: Socket;
    inFlight: number;
    written: number;
    tail: string;
  }
  const open = (): Connection => {
    const localAddress = plan.localAddresses[nextAddress++ % plan.localAddresses.length];
    const socket = connect({ host: '127.0.0.1', port: plan.port, localAddress });
    const connection: Connection = { socket, inFlight: 0, written: 0, tail: '' };
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      // Status lines only: no body of ours holds "HTTP/1.1 ".
      const text = connection.tail + chunk;
      for (const match of text.matchAll(/HTTP\/1\.1 (\d{3})/g)) {
        statuses[match[1] ?? '?'] = (statuses[match[1] ?? '?'] ?? 0) + 1;
        answered++;
        connection.inFlight--;
      }
      connection.tail = text.slice(-16).includes('HTTP') ? text.slice(-16) : '';
    });
    socket.on('error', () => {});
    return connection;
  };
  const connections = Array.from({ length: CONNECTIONS }, open);

  return new Promise((resolve) => {
    let last = started;
    const timer = setInterval(() => {
      const now = performance.now();
      if (now >= deadline) {
        clearInterval(timer);
        for (const { socket } of connections) socket.destroy();
        resolve({ sent, answered, statuses, seconds: (now - started) / 1000 });
        return;
      }
      allowance = Math.min(allowance + (plan.rate * (now - last)) / 1000, plan.rate);
      last = now;
      connections.forEach((connection, i) => {
        // A connection that sent its share is replaced once its answers are in.
        if (connection.written >= plan.requestsPerConnection) {
          if (connection.inFlight > 0 && !connection.socket.destroyed) return;
          connection.socket.destroy();
          connections[i] = open();
          return;
        }
        if (connection.socket.destroyed) {
          connections[i] = open();
          return;
        }
        connection.socket.cork();
        while (
          allowance >= 1 &&
          connection.inFlight < DEPTH &&
          connection.written < plan.requestsPerConnection
        ) {
          connection.socket.write(requests[sent % requests.length] as Buffer);
          connection.inFlight++;
          connection.written++;
          sent++;
          allowance--;
        }
        connection.socket.uncork();
      });
    }, TICK_MS);
  });
}

// Run as a child: the plan comes in a message, the result goes back in one.
if (process.send) {
  process.once('message', (plan: FloodPlan) => {
    void runFlood(plan).then((result) => {
      process.send?.(result, () => process.exit(0));
    });
  });
}
