import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import {
  type AuthMethod,
  type ClientCredentials,
  startTestServer,
  type TestServer,
  type TestServerOptions,
} from './test-server.js';

/** The admin token of every admin test server: 64 hex characters, as `openssl rand -hex 32` makes. */
export const ADMIN_TOKEN = '5f0c3b9e4a7d21e8b6c0f93a5d8e7b1c2a4f6e8d0b3c5a7e9f1d2c4b6a8e0f3d';

/** The admin API's prefix. */
export const ADMIN = '/admin/v1';

/** Which HTTP methods the admin helper sends. */
export type AdminMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** Everything a test can observe of the store, to show that a refused write changed nothing. */
export interface StoreSnapshot {
  readonly applications: readonly unknown[];
  readonly secrets: Readonly<Record<string, readonly string[]>>;
  readonly customers: readonly unknown[];
  readonly keys: readonly unknown[];
  readonly auditEvents: readonly string[];
}

/** A test server with the admin API: what startTestServer gives, and admin requests. */
export interface AdminTestServer extends TestServer {
  /**
   * A request to the admin API through `app.inject()`. A `body` that is a string is sent as it is
   * (with `Content-Type: application/json` unless `headers` says otherwise); any other body is sent
   * as JSON. `token` is the bearer token (ADMIN_TOKEN by default); `null` sends no Authorization.
   * `inject.remoteAddress` is the caller's address (127.0.0.1 by default).
   */
  admin(
    method: AdminMethod,
    path: string,
    body?: unknown,
    token?: string | null,
    headers?: Record<string, string>,
    inject?: { remoteAddress?: string },
  ): Promise<LightMyRequestResponse>;
  /** A new application, registered through the admin API; returns its credentials. */
  createApplication(settings?: Record<string, unknown>): Promise<ClientCredentials>;
  /** POSTs a token request for `client` (client_secret_post unless `method` says otherwise). */
  requestToken(
    client: ClientCredentials,
    scope?: string,
    method?: AuthMethod,
    inject?: { remoteAddress?: string },
  ): Promise<LightMyRequestResponse>;
  /** What the store holds now: applications, live secret digests, customers, keys, audit events. */
  snapshot(): Promise<StoreSnapshot>;
}

/**
 * The real services over a temporary SQLite store, and one app with both the public and the admin
 * surface (admin token ADMIN_TOKEN) for inject(): no socket.
 */
export async function startAdminServer(
  options: Omit<TestServerOptions, 'adminToken'> = {},
): Promise<AdminTestServer> {
  const server = await startTestServer({ ...options, adminToken: ADMIN_TOKEN });
  const { app, services } = server;

  const admin: AdminTestServer['admin'] = (method, path, body, token = ADMIN_TOKEN, headers = {}, inject) => {
    const all: Record<string, string> = {};
    if (token !== null) all.authorization = `Bearer ${token}`;
    let payload: string | undefined;
    if (body !== undefined) {
      all['content-type'] = 'application/json';
      payload = typeof body === 'string' ? body : JSON.stringify(body);
    }
    return app.inject({
      method,
      url: `${ADMIN}${path}`,
      headers: { ...all, ...headers },
      payload,
      ...inject,
    });
  };

  const requestToken: AdminTestServer['requestToken'] = (client, scope = 'api', method, inject) =>
    server.postForm('/oauth2/token', { grant_type: 'client_credentials', scope }, client, method, inject);

  return {
    ...server,
    admin,
    requestToken,
    async createApplication(settings = {}) {
      const response = await admin('POST', '/applications', { name: 'test app', ...settings });
      assert.equal(response.statusCode, 201, response.body);
      const body = response.json();
      return { clientId: String(body.client_id), clientSecret: String(body.client_secret) };
    },
    async snapshot() {
      const { store } = services;
      const now = services.clock.now();
      const applications = await store.listApplications({ limit: 1000 });
      const secrets: Record<string, string[]> = {};
      const customers: unknown[] = [];
      for (const application of applications) {
        secrets[application.clientId] = (await store.listLiveSecrets(application.clientId, now)).map(
          (s) => `${s.digest}:${s.expiresAt}`,
        );
        customers.push(...(await store.listCustomers(application.clientId, { limit: 1000 })));
      }
      const keys = (await store.listSigningKeys()).map((k) => [k.kid, k.activatesAt, k.expiresAt]);
      // Counts of failed authentications are not changes: the timer writes them whenever it runs.
      const auditEvents = (await store.listAuditEvents({}, { limit: 1000 }))
        .filter((e) => !e.action.endsWith('.authentication_failed'))
        .map((e) => e.id);
      return { applications, secrets, customers, keys, auditEvents };
    },
  };
}

/**
 * Asserts an admin API refusal: the status, JSON with exactly `error` and `message`, the code,
 * a message matching `message`, and no caching.
 */
export function expectAdminError(
  response: LightMyRequestResponse,
  status: number,
  error: string,
  message: RegExp,
): void {
  assert.equal(response.statusCode, status, response.body);
  assert.match(String(response.headers['content-type']), /^application\/json/);
  assert.equal(response.headers['cache-control'], 'no-store');
  const body = response.json();
  assert.deepEqual(Object.keys(body).sort(), ['error', 'message']);
  assert.equal(body.error, error);
  assert.match(body.message, message);
}

/**
 * Runs `write` (a request that must be refused), and asserts that it was refused with `status`
 * and `error` and that the store is exactly as it was before.
 */
export async function expectRefusedWithoutChange(
  server: AdminTestServer,
  write: () => Promise<LightMyRequestResponse>,
  status: number,
  error: string,
  message: RegExp,
): Promise<LightMyRequestResponse> {
  const before = await server.snapshot();
  const response = await write();
  expectAdminError(response, status, error, message);
  assert.deepEqual(await server.snapshot(), before, 'a refused request changed the store');
  return response;
}
