import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { AdminOptions } from '../http/admin/admin-context.js';
import { buildApp, type PublicOptions } from '../http/build-app.js';
import { RemoteJwks } from './remote-jwks.js';
import type { Services } from './services.js';

/** The public surface over the services: the token endpoint reads only caches and the in-memory key. */
export function publicOptions(services: Services): PublicOptions {
  const { config, keys } = services;
  return {
    oauth: {
      clients: services.clientDirectory,
      customers: services.customerDirectory,
      keys,
      failedAuthentications: services.clientFailures,
      revocations: services.revocations,
      assertionReplays: services.assertionReplays,
      clientKeys: new RemoteJwks({
        allowPrivate: config.jwksUriAllowPrivate,
        requireHttps: config.env === 'production',
        now: () => services.clock.now(),
      }),
      clock: services.clock,
      issuer: config.issuer,
      audience: config.tokenAudience,
    },
    checkReady: async () => {
      if (!keys.ready) return { reason: 'no_signing_key' };
      if (!services.cachesInStep()) return { reason: 'change_notices_lost' };
      try {
        await services.store.ping();
        return undefined;
      } catch (error) {
        return {
          reason: 'database_unreachable',
          detail: error instanceof Error ? error.message : String(error),
        };
      }
    },
  };
}

/** The admin surface over the same services as the CLI. */
export function adminOptions(services: Services, adminToken: string): AdminOptions {
  return {
    adminToken,
    issuer: services.config.issuer,
    failures: services.adminFailures,
    applications: services.applications,
    customers: services.customers,
    deletions: services.deletions,
    keys: services.keys,
    listAudit: (filter, page) => services.audit.list(services.store, filter, page),
  };
}

/** One server with both surfaces (no ADMIN_PORT): what the tests inject into. */
export function buildHttpApp(
  services: Services,
  logger: FastifyBaseLogger,
  adminToken?: string,
): Promise<FastifyInstance> {
  return buildApp({
    logger,
    trustProxy: services.config.trustProxy,
    public: publicOptions(services),
    ...(adminToken !== undefined && { admin: adminOptions(services, adminToken) }),
  });
}
