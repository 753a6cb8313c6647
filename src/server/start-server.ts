import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Clock } from '../domain/clock.js';
import { createDemoIfEmpty, type DemoCredentials } from '../domain/demo-seed.js';
import { buildHttpApp } from './http-app.js';
import { openServices, type Services } from './services.js';

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly services: Services;
  /** The base URL the server listens on, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  /** The demo application created on this start, if the store was empty (sandbox only). */
  readonly demo: DemoCredentials | undefined;
  close(): Promise<void>;
}

/** Opens the store, loads or creates the signing key, seeds a sandbox, and listens. */
export async function startServer(config: Config, logger: Logger, clock?: Clock): Promise<RunningServer> {
  const services = await openServices(config, logger, clock);
  try {
    await services.keys.start();
    services.followExternalChanges();
    const demo =
      config.env === 'sandbox'
        ? await createDemoIfEmpty(services.applications, services.customers)
        : undefined;
    const app = await buildHttpApp(services, logger);
    await app.listen({ port: config.port, host: config.host });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    return {
      app,
      services,
      url: `http://${host}:${port}`,
      demo,
      async close() {
        await app.close();
        await services.close();
      },
    };
  } catch (error) {
    await services.close();
    throw error;
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
