import type { FastifyInstance } from 'fastify';
import { NO_STORE } from '../headers.js';
import type { Metrics } from '../metrics.js';
import { adminAuthentication } from './admin-auth.js';
import type { AdminOptions } from './admin-context.js';
import { AdminError, handleAdminError } from './admin-error.js';
import { applicationRoutes } from './routes/application-routes.js';
import { auditRoutes } from './routes/audit-routes.js';
import { customerRoutes } from './routes/customer-routes.js';
import { keyRoutes } from './routes/key-routes.js';
import { useStrictValidation } from './validation.js';

export const ADMIN_PREFIX = '/admin/v1';
const ADMIN_BODY_LIMIT = 64 * 1024;

/** The admin API, in an encapsulated context with its own auth, validation and error shape. */
export async function adminRoutes(
  app: FastifyInstance,
  options: AdminOptions & { metrics: Metrics },
): Promise<void> {
  useStrictValidation(app);
  // JSON only: a text/plain body would otherwise reach validation as a string.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(handleAdminError);
  app.setNotFoundHandler(async (request) => {
    throw new AdminError(
      'not_found',
      `no admin route for ${request.method} ${request.url.split('?', 1)[0]?.slice(0, 200)}`,
    );
  });
  app.addHook('onRequest', adminAuthentication(options.adminToken, options.failures));
  app.addHook('onSend', async (_request, reply) => {
    reply.headers(NO_STORE);
  });

  // Not `...options`: Fastify puts this plugin's `prefix` there, and the children would add it again.
  const { adminToken, failures, issuer, applications, customers, deletions, keys, listAudit } = options;
  const routeOptions = {
    ...{ adminToken, failures, issuer, applications, customers, deletions, keys, listAudit },
    bodyLimit: ADMIN_BODY_LIMIT,
  };
  await app.register(applicationRoutes, routeOptions);
  await app.register(customerRoutes, routeOptions);
  await app.register(keyRoutes, routeOptions);
  await app.register(auditRoutes, routeOptions);
  const metricsText = {
    description: 'Prometheus text format',
    content: { 'text/plain': { schema: { type: 'string' } } },
  };
  const metricsDoc = 'Prometheus metrics: tokens issued by class, OAuth refusals by code, process';
  app.get(
    '/metrics',
    { schema: { tags: ['Admin'], summary: metricsDoc, 'x-responses': { 200: metricsText } } },
    async (_request, reply) =>
      reply.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics()),
  );
}
