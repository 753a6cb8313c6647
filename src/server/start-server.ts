import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Clock } from '../domain/clock.js';
import { createDemoIfEmpty, type DemoCredentials } from '../domain/demo-seed.js';
import { DomainError } from '../domain/domain-error.js';
import { buildApp } from '../http/build-app.js';
import { Metrics } from '../http/metrics.js';
import { resolveAdminToken } from './admin-token.js';
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
}

/** The sandbox admin token made on this start, and where it is kept. */
export interface GeneratedAdminToken {
  readonly token: string;
  readonly place: string;
}

/** The sandbox's first dashboard operator, an admin, and its password (shown once). */
export interface DemoOperator {
  readonly email: string;
  readonly password: string;
}

export const DEMO_OPERATOR_EMAIL = 'demo@example.com';

/** What the first start of a deployment creates and must print once. */
export interface FirstStart {
  readonly demo: DemoCredentials | undefined;
  readonly generatedAdminToken: GeneratedAdminToken | undefined;
  readonly demoOperator?: DemoOperator | undefined;
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
    const tls = readTls(config);
    const app = await buildApp({
      logger,
      trustProxy: config.trustProxy,
      metrics,
      tls,
      public: publicOptions(services),
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
        tls,
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

/**
 * The start work a cluster primary does once before it forks: migrate, make the signing key, seed
 * the sandbox, generate the sandbox admin token. Then it closes the store again.
 */
export async function prepareFirstStart(config: Config, logger: Logger): Promise<FirstStart> {
  const services = await openServices(config, logger);
  try {
    const admin = await resolveAdminToken(config, services.store);
    await services.keys.start();
    return {
      demo: await seedSandbox(config, services),
      demoOperator: await seedDemoOperator(config, services),
      generatedAdminToken: generatedAdminToken(admin),
    };
  } finally {
    await services.close();
  }
}

function seedSandbox(config: Config, services: Services): Promise<DemoCredentials | undefined> {
  if (config.env !== 'sandbox') return Promise.resolve(undefined);
  return createDemoIfEmpty(services.applications, services.customers);
}

/** A sandbox with no operator gets a demo admin, so the dashboard can be opened at once. */
async function seedDemoOperator(config: Config, services: Services): Promise<DemoOperator | undefined> {
  if (config.env !== 'sandbox' || (await services.operators.count()) > 0) return undefined;
  try {
    const { operator, password } = await services.operators.create(
      { email: DEMO_OPERATOR_EMAIL, role: 'admin' },
      'system',
    );
    return { email: operator.email, password };
  } catch (error) {
    // Another instance starting at the same time made it first.
    if (error instanceof DomainError && error.code === 'conflict') return undefined;
    throw error;
  }
}

function generatedAdminToken(
  admin: Awaited<ReturnType<typeof resolveAdminToken>>,
): FirstStart['generatedAdminToken'] {
  return admin.created && admin.place ? { token: admin.token, place: admin.place } : undefined;
}

/**
 * The banners of a first start, as `lean-auth serve` prints them on stderr as plain text: for the
 * operator at the console, never among the JSON log lines on stdout that log shippers collect.
 */
export function firstStartBanners(config: Config, first: FirstStart, adminUrl: string): string {
  return (
    (first.demo ? demoBanner(first.demo, `${config.issuer}/oauth2/token`) : '') +
    (first.demoOperator ? demoOperatorBanner(first.demoOperator, adminUrl) : '') +
    (first.generatedAdminToken ? adminTokenBanner(first.generatedAdminToken, adminUrl) : '')
  );
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
function readTls(config: Config): { cert: Buffer; key: Buffer } | undefined {
  if (!config.tls) return undefined;
  try {
    return { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) };
  } catch (error) {
    throw new Error(`cannot read TLS_CERT_FILE or TLS_KEY_FILE: ${(error as Error).message}`);
  }
}

/** What a first sandbox start prints: the demo credentials, once, and a curl line for each token class. */
export function demoBanner(demo: DemoCredentials, tokenEndpoint: string): string {
  const curl = (scope: string) =>
    `  curl -s ${tokenEndpoint} -d grant_type=client_credentials -d scope=${scope} \\\n` +
    `    -d client_id=${demo.clientId} -d client_secret=${demo.clientSecret}`;
  return [
    '',
    'lean-auth sandbox: created a demo application and customer. The secret is shown only this once.',
    `  client_id      ${demo.clientId}`,
    `  client_secret  ${demo.clientSecret}`,
    `  customer_id    ${demo.customerId}`,
    '',
    'An api token:',
    curl('api'),
    'A customer token:',
    curl(`customer.${demo.customerId}`),
    '',
    '',
  ].join('\n');
}

/** What the start that created the demo operator prints, once: how to sign in to the dashboard. */
export function demoOperatorBanner(operator: DemoOperator, dashboardBase: string): string {
  return [
    `lean-auth sandbox: created a dashboard operator (admin). The password is shown only this once.`,
    `  dashboard      ${dashboardBase}/dashboard`,
    `  email          ${operator.email}`,
    `  password       ${operator.password}`,
    '',
    '',
  ].join('\n');
}

/** What the start that generated the sandbox admin token prints, once. */
export function adminTokenBanner(generated: GeneratedAdminToken, adminUrl: string): string {
  return [
    `lean-auth sandbox: generated an admin token for the admin API (kept in ${generated.place}).`,
    `  ADMIN_TOKEN    ${generated.token}`,
    `  curl -s -H "Authorization: Bearer ${generated.token}" ${adminUrl}/admin/v1/applications`,
    '',
    '',
  ].join('\n');
}
