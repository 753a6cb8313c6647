import { pino } from 'pino';
import type { Clock } from '../../src/domain/clock.js';
import { type RunningServer, startServer } from '../../src/server/start-server.js';
import { ADMIN_TOKEN } from '../helpers/admin-server.js';
import { freePort } from '../helpers/child-process.js';
import { type ClientCredentials, TEST_ACTOR, tempDir, testConfig } from '../helpers/test-server.js';
import { CountingProxy } from './counting-proxy.js';

/**
 * A server listening on a real socket behind a CountingProxy, whose URL is the server's ISSUER: every
 * request of the kit (discovery, JWKS, token, introspection) goes through the proxy and is counted.
 */
export interface KitServer {
  readonly issuer: string;
  readonly server: RunningServer;
  readonly proxy: CountingProxy;
  /** An application with both token classes, and one of its customers. */
  readonly client: ClientCredentials;
  readonly customerId: string;
  readonly adminToken: string;
  /** A token from the token endpoint (straight to the server: not counted). */
  issueToken(scope?: string, client?: ClientCredentials): Promise<string>;
  /** Revokes a token (RFC 7009) as the application that holds it. */
  revoke(token: string): Promise<void>;
  close(): Promise<void>;
}

export async function startKitServer(env: Record<string, string> = {}, clock?: Clock): Promise<KitServer> {
  const temp = tempDir();
  const proxyPort = await freePort();
  const issuer = `http://127.0.0.1:${proxyPort}`;
  const config = testConfig(temp.dir, {
    PORT: String(await freePort()),
    ISSUER: issuer,
    ADMIN_TOKEN,
    ...env,
  });
  const server = await startServer(config, pino({ level: 'silent' }), clock);
  const proxy = await CountingProxy.start(server.url, proxyPort);
  const created = await server.services.applications.create({ name: 'kit' }, TEST_ACTOR);
  const client = { clientId: created.application.clientId, clientSecret: created.clientSecret };
  const customerId = (await server.services.customers.create(client.clientId, 'kit-user', TEST_ACTOR))
    .customerId;
  const post = (path: string, form: Record<string, string>, as: ClientCredentials) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...form, client_id: as.clientId, client_secret: as.clientSecret }),
    });
  return {
    issuer,
    server,
    proxy,
    client,
    customerId,
    adminToken: ADMIN_TOKEN,
    async issueToken(scope = 'api', as = client) {
      const response = await post('/oauth2/token', { grant_type: 'client_credentials', scope }, as);
      const body = (await response.json()) as { access_token?: string };
      if (response.status !== 200 || !body.access_token) throw new Error(`no token: ${JSON.stringify(body)}`);
      return body.access_token;
    },
    async revoke(token) {
      const response = await post('/oauth2/revoke', { token }, client);
      if (response.status !== 200) throw new Error(`revocation answered ${response.status}`);
    },
    async close() {
      await proxy.close();
      await server.close();
      temp.remove();
    },
  };
}
