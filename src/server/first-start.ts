import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { createDemoIfEmpty, type DemoCredentials } from '../domain/demo-seed.js';
import { DomainError } from '../domain/domain-error.js';
import { resolveAdminToken } from './admin-token.js';
import { openServices, type Services } from './services.js';

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

const DEMO_OPERATOR_EMAIL = 'demo@example.com';

/** What the first start of a deployment creates and must print once. */
export interface FirstStart {
  readonly demo: DemoCredentials | undefined;
  readonly generatedAdminToken: GeneratedAdminToken | undefined;
  readonly demoOperator?: DemoOperator | undefined;
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

export function seedSandbox(config: Config, services: Services): Promise<DemoCredentials | undefined> {
  if (config.env !== 'sandbox') return Promise.resolve(undefined);
  return createDemoIfEmpty(services.applications, services.customers);
}

/** A sandbox with no operator gets a demo admin, so the dashboard can be opened at once. */
export async function seedDemoOperator(
  config: Config,
  services: Services,
): Promise<DemoOperator | undefined> {
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

export function generatedAdminToken(
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

/** What a first sandbox start prints: the demo credentials, once, and a curl line for each token class. */
function demoBanner(demo: DemoCredentials, tokenEndpoint: string): string {
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
function demoOperatorBanner(operator: DemoOperator, dashboardBase: string): string {
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
function adminTokenBanner(generated: GeneratedAdminToken, adminUrl: string): string {
  return [
    `lean-auth sandbox: generated an admin token for the admin API (kept in ${generated.place}).`,
    `  ADMIN_TOKEN    ${generated.token}`,
    `  curl -s -H "Authorization: Bearer ${generated.token}" ${adminUrl}/admin/v1/applications`,
    '',
    '',
  ].join('\n');
}
