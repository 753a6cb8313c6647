import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Clock } from '../domain/clock.js';
import type { DemoCredentials } from '../domain/demo-seed.js';
import { buildApp, type ServerLimits, type ServerTls } from '../http/build-app.js';
import { Metrics } from '../http/metrics.js';
import { RouteCatalogue } from '../http/openapi/route-catalogue.js';
import { resolveAdminToken } from './admin-token.js';
import {
  type DemoOperator,
  type GeneratedAdminToken,
  generatedAdminToken,
  seedDemoOperator,
  seedSandbox,
} from './first-start.js';
import { adminOptions, dashboardOptions, publicOptions } from './http-app.js';
import { explainListenError, type PortSetting } from './listen-error.js';
import { openServices, type Services } from './services.js';

import { closeGracefully, trackRequestsInFlight } from './shutdown.js';

export interface RunningServer {
  readonly app: FastifyInstance;
  /** The admin API's own server when ADMIN_PORT is set; otherwise the admin API is on `app`. */
  readonly adminApp: FastifyInstance | undefined;
  readonly services: Services;
  /** The base URL the server listens on, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  /** Where the admin API answers (under /admin/v1). */
  readonly adminUrl: string;
  /** The demo application created on this start, if the store was empty (sandbox only). */
  readonly demo: DemoCredentials | undefined;
  /** The sandbox admin token, on the start that generated it (to print once). */
  readonly generatedAdminToken: GeneratedAdminToken | undefined;
  /** The demo dashboard operator created on this start (sandbox, no operator yet). */
  readonly demoOperator: DemoOperator | undefined;
  close(): Promise<void>;
}

export interface StartOptions {
  /**
   * False in a cluster worker: its primary already did the one-time start work (the sandbox demo,
   * the generated admin token) and printed it. Default true.
   */
  readonly firstStart?: boolean;
  /** Shorter HTTP limits than the real ones (src/http/build-app.ts), for tests that cannot wait 10 s. */
  readonly limits?: Partial<ServerLimits>;
}

/** Opens the store, loads or creates the signing key, seeds a sandbox, and listens. */
export async function startServer(
  config: Config,
  logger: Logger,
  clock?: Clock,
  options: StartOptions = {},
): Promise<RunningServer> {
  const firstStart = options.firstStart ?? true;
  const services = await openServices(config, logger, clock);
  const apps: FastifyInstance[] = [];
  try {
    const admin = await resolveAdminToken(config, services.store);
    await services.keys.start();
    services.runInBackground();
    // Listening (and so ready) only once every application is in memory: no token request reads it.
    await services.clientDirectory.loaded();
    const demo = firstStart ? await seedSandbox(config, services) : undefined;
    const demoOperator = firstStart ? await seedDemoOperator(config, services) : undefined;
    const separateAdmin = config.adminPort !== undefined;
    const metrics = new Metrics();
    const catalogue = new RouteCatalogue();
    const tls = readTls(config);
    const app = await buildApp({
      logger,
      trustProxy: config.trustProxy,
      metrics,
      catalogue,
      tls,
      limits: options.limits,
      public: publicOptions(services, logger),
      ...(!separateAdmin && {
        admin: adminOptions(services, admin.token),
        dashboard: dashboardOptions(services),
      }),
    });
    apps.push(app);
    const url = await listen(app, config.host, config.port, 'PORT', tls !== undefined);
    let adminApp: FastifyInstance | undefined;
    let adminUrl = url;
    if (separateAdmin) {
      adminApp = await buildApp({
        logger,
        trustProxy: config.trustProxy,
        metrics,
        catalogue,
        tls,
        limits: options.limits,
        admin: adminOptions(services, admin.token),
        dashboard: dashboardOptions(services),
      });
      apps.push(adminApp);
      adminUrl = await listen(adminApp, config.host, config.adminPort ?? 0, 'ADMIN_PORT', tls !== undefined);
    }
    return {
      app,
      adminApp,
      services,
      url,
      adminUrl,
      demo,
      demoOperator,
      generatedAdminToken: firstStart ? generatedAdminToken(admin) : undefined,
      async close() {
        await closeGracefully(apps);
        await services.close();
      },
    };
  } catch (error) {
    for (const running of apps) await running.close();
    await services.close();
    throw error;
  }
}

async function listen(
  app: FastifyInstance,
  host: string,
  port: number,
  setting: PortSetting,
  https: boolean,
): Promise<string> {
  trackRequestsInFlight(app);
  // Fastify cannot tell that the server its serverFactory made speaks TLS: it would log http://.
  const scheme = https ? 'https' : 'http';
  try {
    await app.listen({
      port,
      host,
      listenTextResolver: (address) => `Server listening at ${address.replace(/^https?:/, `${scheme}:`)}`,
    });
  } catch (error) {
    throw explainListenError(error, setting, host, port);
  }
  const address = app.server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
}

/** The certificate and key named by TLS_CERT_FILE and TLS_KEY_FILE, read once at start. */
function readTls(config: Config): ServerTls | undefined {
  if (!config.tls) return undefined;
  const { certFile, keyFile, clientCaFile } = config.tls;
  try {
    return {
      cert: readFileSync(certFile),
      key: readFileSync(keyFile),
      clientCa: clientCaFile === undefined ? undefined : readFileSync(clientCaFile),
    };
  } catch (error) {
    throw new Error(
      `cannot read TLS_CERT_FILE, TLS_KEY_FILE or TLS_CLIENT_CA_FILE: ${(error as Error).message}`,
    );
  }
}
