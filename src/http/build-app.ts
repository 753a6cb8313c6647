import { createServer as createHttpServer, type RequestListener } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyServerFactory,
} from 'fastify';
import type { TrustedProxies } from '../config/config.js';
import { OAuthError } from '../oauth/errors.js';
import type { MtlsSupport } from '../oauth/metadata.js';
import type { OAuthContext } from '../oauth/ports.js';
import { AccessLog } from './access-log.js';
import { adminAuthentication } from './admin/admin-auth.js';
import type { AdminOptions } from './admin/admin-context.js';
import { ADMIN_PREFIX, adminRoutes } from './admin/admin-routes.js';
import type { ClientCertificateSources } from './client-certificate.js';
import { Activity } from './dashboard/activity.js';
import { DASHBOARD_PREFIX, type DashboardOptions } from './dashboard/dashboard-context.js';
import { dashboardRoutes } from './dashboard/dashboard-routes.js';
import { handleError } from './error-reply.js';
import { oauthFastPath } from './fast-path/oauth-fast-path.js';
import { answerClientError, answerFrameworkError, answerNotFound } from './framework-errors.js';
import { NOSNIFF } from './headers.js';
import { Metrics } from './metrics.js';
import { RouteCatalogue } from './openapi/route-catalogue.js';
import { requestIds } from './request-ids.js';
import { lazyChildLoggerFactory } from './request-logger.js';
import { healthRoutes, type NotReady } from './routes/health-routes.js';
import { OAUTH_BODY_LIMIT, oauthRoutes } from './routes/oauth-routes.js';
import { openApiRoute } from './routes/openapi-route.js';
import { wellKnownRoutes } from './routes/well-known-routes.js';
import { forwardedForFilter, ignoreUnusableForwardedFor, proxyTrust } from './trusted-proxies.js';

export interface PublicOptions {
  readonly oauth: OAuthContext;
  /** What the metadata says of mutual TLS (RFC 8705); not advertised when omitted. */
  readonly mtls?: MtlsSupport | undefined;
  readonly checkReady: () => Promise<NotReady | undefined>;
  /** Answer the OAuth endpoints' form POSTs beside the framework (OAUTH_FAST_PATH); on by default. */
  readonly fastPath?: boolean | undefined;
}

export interface AppOptions {
  readonly logger: FastifyBaseLogger;
  /** The proxies whose X-Forwarded-For gives the caller's address (TRUST_PROXY); none by default. */
  readonly trustProxy?: TrustedProxies | undefined;
  /** The OAuth endpoints, well-known documents and health checks. */
  readonly public?: PublicOptions;
  /** The admin API under /admin/v1. */
  readonly admin?: AdminOptions;
  /** The Application Dashboard under /dashboard (with the admin API's surface). */
  readonly dashboard?: Omit<DashboardOptions, 'activity'> | undefined;
  /** Shared by the public and the admin server of one process; a new set when omitted. */
  readonly metrics?: Metrics;
  /**
   * The routes /openapi.json describes: shared by the public and the admin server of one process, so
   * that the admin port describes both surfaces; a new one when omitted.
   */
  readonly catalogue?: RouteCatalogue;
  /**
   * Serve HTTPS with this certificate and key (PEM), read from TLS_CERT_FILE and TLS_KEY_FILE; with
   * `clientCa` (TLS_CLIENT_CA_FILE), client certificate chains are verified against those CAs.
   */
  readonly tls?: ServerTls | undefined;
  /** Other limits than SERVER_LIMITS: for tests, which cannot wait out the real ones. */
  readonly limits?: Partial<ServerLimits> | undefined;
}

/** Limits that keep slow or greedy clients from holding the server: no request may hang. */
const SERVER_LIMITS = {
  /** The whole request, headers and body, must arrive within this (and the headers too). */
  requestTimeout: 10_000,
  /**
   * How often Node looks for requests past their timeout (its default, 30 s, would let a request
   * that trickles in hold its connection for up to three times the timeout).
   */
  connectionsCheckingInterval: 1_000,
  /** An idle keep-alive connection is closed after this (longer than common load balancers' 60 s). */
  keepAliveTimeout: 72_000,
  /** A connection is closed after this many requests, so load spreads again over instances. */
  maxRequestsPerSocket: 10_000,
  /** Request headers larger than this are refused with 431. */
  maxHeaderSize: 16 * 1024,
} as const;

export interface ServerTls {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly clientCa?: Buffer | undefined;
}

export type ServerLimits = { readonly [name in keyof typeof SERVER_LIMITS]: number };

/**
 * An HTTP server with one error model and one access log, carrying the public surface, the admin
 * surface, or both (ADMIN_PORT puts the admin API on a server of its own).
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const limits: ServerLimits = { ...SERVER_LIMITS, ...options.limits };
  const metrics = options.metrics ?? new Metrics();
  const trust = options.trustProxy ? proxyTrust(options.trustProxy) : undefined;
  const forwardedFor = forwardedForFilter();
  const requestId = requestIds();
  const hsts = options.tls !== undefined;
  const certificates: ClientCertificateSources = {
    clientCaConfigured: options.tls?.clientCa !== undefined,
    // The socket's peer, hop 0: whether the Client-Cert header comes from one of our proxies.
    trustedProxy: trust && ((address) => trust(address, 0)),
  };
  let closing = false;
  const front =
    options.public && options.public.fastPath !== false
      ? (next: RequestListener) =>
          oauthFastPath(
            {
              context: options.public?.oauth as OAuthContext,
              metrics,
              logger: options.logger,
              requestId,
              bodyLimit: OAUTH_BODY_LIMIT,
              proxies: trust && { trust, filter: forwardedFor },
              hsts,
              closing: () => closing,
              certificates,
            },
            next,
          )
      : undefined;
  const app = Fastify({
    loggerInstance: options.logger,
    logController: new AccessLog(),
    childLoggerFactory: lazyChildLoggerFactory,
    bodyLimit: OAUTH_BODY_LIMIT,
    // Requests that arrive while a graceful stop drains are still answered in full (closeGracefully).
    return503OnClosing: false,
    trustProxy: trust ?? false,
    genReqId: requestId,
    requestTimeout: limits.requestTimeout,
    keepAliveTimeout: limits.keepAliveTimeout,
    maxRequestsPerSocket: limits.maxRequestsPerSocket,
    serverFactory: serverFactory(options.tls, limits, options.public !== undefined, front),
    frameworkErrors: answerFrameworkError(
      options.admin && {
        prefix: ADMIN_PREFIX,
        authenticate: adminAuthentication(options.admin.adminToken, options.admin.failures),
      },
    ),
    clientErrorHandler: answerClientError,
  });

  // No response of ours is meant to be sniffed into another content type. A callback hook, set on
  // arrival: the cheapest place on the token path, and error and 404 replies keep it. Over our own
  // TLS, browsers are also told to come back over https only (a year, as HSTS preload lists ask).
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(NOSNIFF);
    if (hsts) reply.header('Strict-Transport-Security', 'max-age=31536000');
    done();
  });
  if (trust) ignoreUnusableForwardedFor(app, forwardedFor);
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });

  const catalogue = options.catalogue ?? new RouteCatalogue();
  catalogue.watch(app);
  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    if (error instanceof OAuthError) metrics.oauthError(error.error);
    return handleError(error, request, reply);
  });
  app.setNotFoundHandler(answerNotFound);

  if (options.public) {
    const { oauth, checkReady, mtls } = options.public;
    await app.register(oauthRoutes, { context: oauth, metrics, certificates });
    await app.register(wellKnownRoutes, { issuer: oauth.issuer, jwks: () => oauth.keys.jwks(), mtls });
    await app.register(healthRoutes, { checkReady });
  }
  if (options.admin) {
    await app.register(adminRoutes, { ...options.admin, metrics, prefix: ADMIN_PREFIX });
  }
  if (options.dashboard) {
    const activity = new Activity(metrics);
    activity.start();
    app.addHook('onClose', async () => activity.stop());
    await app.register(dashboardRoutes, {
      ...options.dashboard,
      activity: () => activity.series(),
      prefix: DASHBOARD_PREFIX,
    });
  }
  const issuer = options.public?.oauth.issuer ?? options.admin?.issuer;
  if (issuer !== undefined) {
    await app.register(openApiRoute, { issuer, admin: options.admin !== undefined, catalogue });
  }
  return app;
}

/**
 * The node server, through Fastify's serverFactory: HTTPS when given a certificate (the app keeps
 * its plain-HTTP types, the socket speaks TLS), and the OAuth fast path in front when on. Over TLS
 * the public server asks for a client certificate (RFC 8705 mutual TLS) but lets a client without
 * one in: secret-based clients and browsers go on as before, and the token endpoint decides.
 */
function serverFactory(
  tls: ServerTls | undefined,
  limits: ServerLimits,
  askCertificate: boolean,
  front: ((next: RequestListener) => RequestListener) | undefined,
): FastifyServerFactory {
  return (handler) => {
    const listener = front ? front(handler as RequestListener) : (handler as RequestListener);
    const server = tls
      ? createHttpsServer(
          {
            cert: tls.cert,
            key: tls.key,
            ...(askCertificate && { requestCert: true, rejectUnauthorized: false }),
            ...(askCertificate && tls.clientCa !== undefined && { ca: tls.clientCa }),
            ...nodeServerLimits(limits),
          },
          listener,
        )
      : createHttpServer(nodeServerLimits(limits), listener);
    server.keepAliveTimeout = limits.keepAliveTimeout;
    server.maxRequestsPerSocket = limits.maxRequestsPerSocket;
    return server as unknown as ReturnType<FastifyServerFactory>;
  };
}

/**
 * The limits Node takes only when the server is created: the checking interval, and a headers
 * timeout no longer than the request timeout (Node's default of 60 s would outlast it).
 */
function nodeServerLimits(limits: ServerLimits) {
  return {
    maxHeaderSize: limits.maxHeaderSize,
    requestTimeout: limits.requestTimeout,
    headersTimeout: limits.requestTimeout,
    connectionsCheckingInterval: limits.connectionsCheckingInterval,
  };
}
