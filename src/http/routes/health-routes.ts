import type { FastifyInstance } from 'fastify';

export interface HealthOptions {
  /** Resolves when the server can do its work; rejects with the reason when it cannot. */
  readonly checkReady: () => Promise<void>;
}

/** /healthz: the process answers. /readyz: it can issue tokens (database reachable, key loaded). */
export async function healthRoutes(app: FastifyInstance, options: HealthOptions): Promise<void> {
  app.get('/healthz', async (_request, reply) =>
    reply.header('Cache-Control', 'no-store').send({ status: 'ok' }),
  );
  app.get('/readyz', async (request, reply) => {
    reply.header('Cache-Control', 'no-store');
    try {
      await options.checkReady();
      return reply.send({ status: 'ready' });
    } catch (error) {
      request.log.warn({ err: error }, 'not ready');
      return reply
        .code(503)
        .send({ status: 'not_ready', reason: error instanceof Error ? error.message : String(error) });
    }
  });
}
