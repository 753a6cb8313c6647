import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does to the next request of a path instead of forwarding it. */
export type Fault =
  | {
      readonly kind: 'status';
      readonly status: number;
      readonly headers?: Record<string, string>;
      /** Default: an RFC 6749 error, temporarily_unavailable. */
      readonly body?: string;
    }
  | { readonly kind: 'drop' }
  | { readonly kind: 'delay'; readonly ms: number };

/**
 * A loopback HTTP proxy in front of a running server that counts the requests it forwards, by
 * `METHOD /path`, and can answer the next ones of a path with a fault (a 503, a dropped connection,
 * a delay): what the kit does on the wire, seen from outside it.
 */
export class CountingProxy {
  readonly counts = new Map<string, number>();
  private readonly faults = new Map<string, Fault[]>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(target: string, port = 0): Promise<CountingProxy> {
    const holder: { proxy?: CountingProxy } = {};
    const server = createServer((req, res) => holder.proxy?.handle(req, res, target));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    const address = server.address() as AddressInfo;
    holder.proxy = new CountingProxy(server, `http://127.0.0.1:${address.port}`);
    return holder.proxy;
  }

  /** How many requests of `METHOD /path` reached the proxy (faulted ones included). */
  count(route: string): number {
    return this.counts.get(route) ?? 0;
  }

  /** The next requests of `path` meet these faults, one each, in order. */
  inject(path: string, ...faults: Fault[]): void {
    this.faults.set(path, [...(this.faults.get(path) ?? []), ...faults]);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse, target: string): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const route = `${req.method} ${path}`;
    this.counts.set(route, this.count(route) + 1);
    const fault = this.faults.get(path)?.shift();
    if (fault?.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'status') {
      res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
      res.end(fault.body ?? JSON.stringify({ error: 'temporarily_unavailable' }));
      return;
    }
    if (fault?.kind === 'delay') await new Promise((resolve) => setTimeout(resolve, fault.ms));
    const upstream = httpRequest(
      `${target}${req.url}`,
      { method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  }
}
