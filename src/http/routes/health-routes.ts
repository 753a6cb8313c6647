import type { FastifyInstance, FastifySchema } from 'fastify';
import { NO_STORE } from '../headers.js';

/** Why the server cannot do its work: a short code for /readyz, and a detail for the log only. */
export interface NotReady {
  /** `no_signing_key`, `change_notices_lost`, `database_unreachable`. */
  readonly reason: string;
  readonly detail?: string;
}

export interface HealthOptions {
  /** Resolves to undefined when the server can do its work, or to why it cannot. */
  readonly checkReady: () => Promise<NotReady | undefined>;
}

/** A load balancer probes every few seconds: while not ready, the log says so at most this often. */
const NOT_READY_LOG_INTERVAL_MS = 60_000;

/** /healthz: the process answers. /readyz: it can issue tokens (database reachable, key loaded). */
export async function healthRoutes(app: FastifyInstance, options: HealthOptions): Promise<void> {
  let logged: { reason: string; at: number; probes: number } | undefined;
  const health = (summary: string, responses: Record<number, string>): FastifySchema => ({
    tags: ['Health'],
    summary,
    'x-responses': Object.fromEntries(
      Object.entries(responses).map(([status, description]) => [
        status,
        { description, schema: { type: 'object' } },
      ]),
    ),
  });
  app.get('/healthz', { schema: health('The process answers', { 200: 'Alive' }) }, async (_request, reply) =>
    reply.headers(NO_STORE).send({ status: 'ok' }),
  );
  const readiness = health('The server can issue tokens', { 200: 'Ready', 503: 'Not ready' });
  app.get('/readyz', { schema: readiness }, async (request, reply) => {
    reply.headers(NO_STORE);
    const notReady = await options.checkReady();
    if (notReady === undefined) {
      logged = undefined;
      return reply.send({ status: 'ready' });
    }
    const now = Date.now();
    if (logged?.reason === notReady.reason && now - logged.at < NOT_READY_LOG_INTERVAL_MS) {
      logged.probes++;
    } else {
      // The detail (a driver's message) goes to the log alone, and no stack: the public port answers
      // anyone, and a probe every second must not fill the log.
      request.log.warn(
        { reason: notReady.reason, detail: notReady.detail, probesSinceLastLog: logged?.probes ?? 0 },
        'not ready',
      );
      logged = { reason: notReady.reason, at: now, probes: 0 };
    }
    return reply.code(503).send({ status: 'not_ready', reason: notReady.reason });
  });
}
