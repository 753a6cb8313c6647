import type { FastifyInstance } from 'fastify';
import type { Applications } from '../../domain/applications.js';
import type { AuditEvent, AuditFilter } from '../../domain/audit-event.js';
import type { Customers } from '../../domain/customers.js';
import type { Deletions } from '../../domain/deletions.js';
import type { Page } from '../../domain/page.js';
import type { SigningKeys } from '../../domain/signing-keys.js';
import type { Metrics } from '../metrics.js';
import { type AdminFailures, adminAuthentication } from './admin-auth.js';
import { AdminError, handleAdminError } from './admin-error.js';
import { applicationRoutes } from './routes/application-routes.js';
import { auditRoutes } from './routes/audit-routes.js';
import { customerRoutes } from './routes/customer-routes.js';
import { keyRoutes } from './routes/key-routes.js';
import { useStrictValidation } from './validation.js';

export const ADMIN_PREFIX = '/admin/v1';
/** Who the audit log names for changes made through the admin API. */
export const ADMIN_ACTOR = 'admin-api';
const ADMIN_BODY_LIMIT = 64 * 1024;

export interface AdminOptions {
  readonly adminToken: string;
  /** The deployment's issuer, for the servers of /openapi.json. */
  readonly issuer: string;
  /** Where wrong admin tokens are counted (throttle, audit log). */
  readonly failures: AdminFailures;
  readonly applications: Applications;
  readonly customers: Customers;
  readonly deletions: Deletions;
  readonly keys: SigningKeys;
  readonly listAudit: (filter: AuditFilter, page: Page) => Promise<AuditEvent[]>;
}

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
    reply.header('Cache-Control', 'no-store');
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
  app.get('/metrics', async (_request, reply) =>
    reply.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics()),
  );
}

/** For operations whose body is optional: no body at all counts as `{}`. */
export async function emptyBodyIsEmptyObject(request: { body: unknown }): Promise<void> {
  request.body ??= {};
}

// One rule for pages, shared with the CLI's --json.
export { nextAfter } from '../../domain/views.js';
