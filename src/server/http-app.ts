import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { AdminOptions } from '../http/admin/admin-context.js';
import { buildApp, type PublicOptions } from '../http/build-app.js';
import type { DashboardOptions } from '../http/dashboard/dashboard-context.js';
import { DpopNonces } from '../oauth/dpop-nonce.js';
import { OAuthError } from '../oauth/errors.js';
import { handleTokenRequest } from '../oauth/grants/index.js';
import { jwksFetchWarnings, type WarningLogger } from './jwks-fetch-warnings.js';
import { RemoteJwks } from './remote-jwks.js';
import type { Services } from './services.js';

/** The public surface over the services: the token endpoint reads only caches and the in-memory key. */
export function publicOptions(services: Services, logger?: WarningLogger): PublicOptions {
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
        ...(logger !== undefined && { onError: jwksFetchWarnings(logger, () => services.clock.now()) }),
      }),
      dpopNonces: config.dpopNonce ? dpopNonces(services) : undefined,
      clock: services.clock,
      issuer: config.issuer,
      audience: config.tokenAudience,
    },
    // Certificates reach us through our own TLS or a trusted proxy's Client-Cert header (RFC 9440).
    mtls: {
      supported: config.tls !== undefined || config.trustProxy !== undefined,
      baseUrl: config.mtlsBaseUrl,
    },
    fastPath: config.oauthFastPath,
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

/** The key is derived once, on the first nonce, not on every request. */
function dpopNonces(services: Services): DpopNonces {
  let key: Buffer | undefined;
  return new DpopNonces(() => {
    key ??= services.dpopNonceKey();
    return key;
  }, services.clock);
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

/** The dashboard over the same services as the admin API (one implementation), the operator as actor. */
export function dashboardOptions(services: Services): Omit<DashboardOptions, 'activity'> {
  const oauth = publicOptions(services).oauth;
  return {
    issuer: services.config.issuer,
    production: services.config.env === 'production',
    clock: services.clock,
    sessionKey: services.sessionKey,
    operators: services.operators,
    signInFailures: services.operatorFailures,
    totpAttempts: services.totpAttempts,
    applications: services.applications,
    customers: services.customers,
    deletions: services.deletions,
    keys: services.keys,
    listAudit: (filter, page) => services.audit.list(services.store, filter, page),
    // Try it asks the token endpoint's own code in process: the same answer a client gets over HTTP.
    requestToken: async (form, sourceIp) => {
      const request = {
        contentType: 'application/x-www-form-urlencoded',
        body: Buffer.from(form.toString()),
        authorization: undefined,
        dpop: undefined,
        query: '',
        sourceIp: () => sourceIp,
        clientCertificate: () => undefined,
      };
      try {
        return { status: 200, body: await handleTokenRequest(request, oauth) };
      } catch (error) {
        if (!(error instanceof OAuthError)) throw error;
        return { status: error.status, body: error.toJSON() };
      }
    },
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
    public: publicOptions(services, logger),
    dashboard: dashboardOptions(services),
    ...(adminToken !== undefined && { admin: adminOptions(services, adminToken) }),
  });
}
