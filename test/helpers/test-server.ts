import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { type Config, loadConfig } from '../../src/config/config.js';
import type { Clock } from '../../src/domain/clock.js';
import { buildHttpApp } from '../../src/server/http-app.js';
import { openServices, type Services } from '../../src/server/services.js';
import { injectThroughServer, oauthPathEnv } from './oauth-path.js';

/** Who the audit log names for changes a test makes through the domain services. */
export const TEST_ACTOR = 'test';

/** A fresh temporary folder, removed by the returned function. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'lean-auth-test-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A configuration over a new SQLite file in a temporary folder; `env` overrides any variable. */
export function testConfig(dir: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    LEAN_AUTH_ENV: 'sandbox',
    DATABASE_URL: `sqlite:${join(dir, 'lean-auth.db')}`,
    KEY_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    LOG_LEVEL: 'silent',
    ...oauthPathEnv(),
    ...env,
  });
}

/** An application's credentials, as createClient returns them. */
export interface ClientCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

/** How a request authenticates its client (RFC 6749 §2.3.1), or `none` to send no credentials. */
export type AuthMethod = 'client_secret_post' | 'client_secret_basic' | 'none';

export interface TestServer {
  readonly services: Services;
  readonly app: FastifyInstance;
  readonly config: Config;
  /** A new application with both token classes; returns its credentials. */
  createClient(settings?: {
    name?: string;
    tokenClasses?: string[];
    customerTokenTtl?: number;
    apiTokenTtl?: number;
    resourceServer?: boolean;
  }): Promise<ClientCredentials>;
  /**
   * POSTs `parameters` as a form to `url` (an OAuth endpoint), authenticated as `client` by
   * `method` (client_secret_post by default).
   */
  postForm(
    url: string,
    parameters: Record<string, string>,
    client?: ClientCredentials,
    method?: AuthMethod,
    inject?: { remoteAddress?: string },
  ): Promise<LightMyRequestResponse>;
  /** An access token for `client` from the token endpoint; fails the test unless it is issued. */
  issueToken(client: ClientCredentials, scope?: string): Promise<string>;
  close(): Promise<void>;
}

export interface TestServerOptions {
  readonly env?: Record<string, string>;
  readonly clock?: Clock;
  readonly logger?: pino.Logger;
  /** The store's folder, which close() then leaves in place (for a restart: the same KEY_ENCRYPTION_KEY in `env` too). */
  readonly dir?: string;
  /** With the admin API too, under this token (startAdminServer). */
  readonly adminToken?: string;
}

/** The real services over a temporary SQLite store, and the HTTP app for inject(): no socket. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const temp = options.dir === undefined ? tempDir() : { dir: options.dir, remove: () => {} };
  const config = testConfig(temp.dir, options.env);
  const logger = options.logger ?? pino({ level: 'silent' });
  const services = await openServices(config, logger, options.clock);
  await services.keys.start();
  services.runInBackground();
  const app = await buildHttpApp(services, logger, options.adminToken);
  if (config.oauthFastPath) await injectThroughServer(app);
  const postForm: TestServer['postForm'] = (
    url,
    parameters,
    client,
    method = 'client_secret_post',
    inject,
  ) => {
    const headers: Record<string, string> = { ...FORM_HEADERS };
    let payload = { ...parameters };
    if (client && method === 'client_secret_basic') headers.authorization = basicAuthorization(client);
    if (client && method === 'client_secret_post') {
      payload = { ...payload, client_id: client.clientId, client_secret: client.clientSecret };
    }
    return app.inject({ method: 'POST', url, headers, payload: form(payload), ...inject });
  };
  return {
    services,
    app,
    config,
    async createClient(settings = {}) {
      const { application, clientSecret } = await services.applications.create(
        { name: 'test app', ...settings },
        TEST_ACTOR,
      );
      return { clientId: application.clientId, clientSecret };
    },
    postForm,
    async issueToken(client, scope = 'api') {
      const response = await postForm('/oauth2/token', { grant_type: 'client_credentials', scope }, client);
      assert.equal(response.statusCode, 200, response.body);
      return String(response.json().access_token);
    },
    async close() {
      await app.close();
      await services.close();
      temp.remove();
    },
  };
}

/** RFC 6749 §2.3.1 HTTP Basic credentials: id and secret form-urlencoded, then base64. */
export function basicAuthorization(client: ClientCredentials): string {
  const encode = (value: string) => encodeURIComponent(value).replaceAll('%20', '+');
  return `Basic ${Buffer.from(`${encode(client.clientId)}:${encode(client.clientSecret)}`).toString('base64')}`;
}

/** A form body as a client library would send it. */
export function form(parameters: Record<string, string>): string {
  return new URLSearchParams(parameters).toString();
}

export const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded' } as const;

/**
 * Asserts an RFC 6749 §5.2 error answer: the status, JSON with exactly `error` and
 * `error_description`, the code, a description matching `description`, and no caching.
 */
export function expectOAuthError(
  response: LightMyRequestResponse,
  status: number,
  error: string,
  description: RegExp,
): void {
  assert.equal(response.statusCode, status, response.body);
  assert.match(String(response.headers['content-type']), /^application\/json/);
  assert.equal(response.headers['cache-control'], 'no-store');
  const body = response.json();
  assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description']);
  assert.equal(body.error, error);
  assert.match(body.error_description, description);
}
