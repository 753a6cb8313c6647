import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Ajv } from 'ajv';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/config.js';
import { type RunningServer, startServer } from '../../src/server/start-server.js';
import { ADMIN_TOKEN, type AdminTestServer, startAdminServer } from '../helpers/admin-server.js';
import { freePort } from '../helpers/child-process.js';
import { tempDir } from '../helpers/test-server.js';

interface Document {
  tags: { name: string }[];
  paths: Record<string, Record<string, unknown>>;
  components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> };
}

/** Every route the app answers, as `path → methods`, from Fastify's printed route tree. */
function routesOf(app: FastifyInstance): Map<string, string[]> {
  const routes = new Map<string, string[]>();
  const segments: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([│├└─\s]*)(\/\S*) \(([^)]+)\)$/.exec(line);
    if (!match) continue;
    const depth = (match[1] ?? '').length / 4 - 1;
    segments.length = depth;
    segments.push(match[2] ?? '');
    routes.set(segments.join(''), (match[3] ?? '').split(', '));
  }
  return routes;
}

/** `/a/:id/b` as OpenAPI writes it: `/a/{id}/b`. */
const openApiPath = (route: string) => route.replace(/:([a-z_]+)/g, '{$1}');

const adminPaths = (document: Document) => Object.keys(document.paths).filter((p) => p.startsWith('/admin'));

describe('/openapi.json where both surfaces share a port', () => {
  let server: AdminTestServer;
  let document: Document;
  before(async () => {
    server = await startAdminServer();
    document = (await server.app.inject('/openapi.json')).json();
  });
  after(() => server.close());

  it('describes every admin route with each of its methods (the deletions and the key withdrawal too)', () => {
    const routes = [...routesOf(server.app)].filter(([route]) => route.startsWith('/admin'));
    assert.ok(routes.length >= 10, `only ${routes.length} admin routes found`);
    for (const [route, methods] of routes) {
      const path = document.paths[openApiPath(route)];
      assert.ok(path, `undocumented admin route ${route}`);
      for (const method of methods.filter((m) => m !== 'HEAD')) {
        assert.ok(path[method.toLowerCase()], `undocumented ${method} ${route}`);
      }
    }
    assert.ok(document.paths['/admin/v1/applications/{client_id}']?.delete);
    assert.ok(document.paths['/admin/v1/customers/{customer_id}']?.delete);
    assert.ok(document.paths['/admin/v1/keys/{kid}/withdraw']?.post);
  });

  it('the answers of the deletions and of the key withdrawal agree with it', async () => {
    const ajv = new Ajv({ strict: false, validateFormats: false });
    ajv.addSchema(document, 'served');
    const expectDocumented = (path: string, method: string, status: number, body: unknown) => {
      const pointer = [
        'paths',
        path,
        method,
        'responses',
        String(status),
        'content',
        'application/json',
        'schema',
      ]
        .map((part) => part.replaceAll('~', '~0').replaceAll('/', '~1'))
        .join('/');
      const validate = ajv.getSchema(`served#/${pointer}`);
      assert.ok(validate, `no ${status} documented for ${method} ${path}`);
      assert.ok(validate(body), `${method} ${path}: ${ajv.errorsText(validate.errors)}`);
    };
    const app = await server.createApplication();
    const customer = await server.admin('POST', `/applications/${app.clientId}/customers`, {
      app_user_id: 'u',
    });
    const customerId = customer.json().customer_id;
    const deletedCustomer = await server.admin('DELETE', `/customers/${customerId}`);
    expectDocumented('/admin/v1/customers/{customer_id}', 'delete', 200, deletedCustomer.json());
    expectDocumented(
      '/admin/v1/customers/{customer_id}',
      'delete',
      404,
      (await server.admin('DELETE', `/customers/${customerId}`)).json(),
    );
    const deletedApp = await server.admin('DELETE', `/applications/${app.clientId}`);
    expectDocumented('/admin/v1/applications/{client_id}', 'delete', 200, deletedApp.json());
    const kid = server.services.keys.activeSigner().kid;
    const active = await server.admin('POST', `/keys/${kid}/withdraw`);
    expectDocumented('/admin/v1/keys/{kid}/withdraw', 'post', 200, active.json());
    const retired = await server.admin('POST', '/keys/rotate', { now: true });
    const withdrawnRetired = await server.admin('POST', `/keys/${active.json().replacement.kid}/withdraw`);
    assert.equal(retired.statusCode, 201);
    assert.equal(withdrawnRetired.json().replacement, null);
    expectDocumented('/admin/v1/keys/{kid}/withdraw', 'post', 200, withdrawnRetired.json());
  });
});

describe('/openapi.json with ADMIN_PORT (real sockets)', () => {
  const temp = tempDir();
  let running: RunningServer;
  let publicDocument: Document;
  let adminDocument: Document;
  let shared: AdminTestServer;

  before(async () => {
    const [port, adminPort] = [await freePort(), await freePort()];
    const config = loadConfig({
      DATABASE_URL: `sqlite:${join(temp.dir, 'lean-auth.db')}`,
      KEY_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      LOG_LEVEL: 'silent',
      PORT: String(port),
      ADMIN_PORT: String(adminPort),
      ADMIN_TOKEN,
    });
    running = await startServer(config, pino({ level: 'silent' }));
    const fetchDocument = async (base: string) => {
      const response = await fetch(`${base}/openapi.json`);
      assert.equal(response.status, 200);
      return (await response.json()) as Document;
    };
    publicDocument = await fetchDocument(running.url);
    adminDocument = await fetchDocument(running.adminUrl);
    shared = await startAdminServer();
  });
  after(async () => {
    await running.close();
    await shared.close();
    temp.remove();
  });

  it('the public port describes only the public endpoints', () => {
    assert.deepEqual(adminPaths(publicDocument), []);
    assert.deepEqual(
      Object.keys(publicDocument.paths).sort(),
      [...routesOf(running.app).keys()].map(openApiPath).sort(),
      'the public document and the public routes differ',
    );
    assert.equal(publicDocument.components.securitySchemes.adminToken, undefined);
    assert.equal(publicDocument.components.schemas.AdminError, undefined);
    assert.ok(!publicDocument.tags.some((t) => t.name === 'Admin'));
    assert.ok(!JSON.stringify(publicDocument).includes('/admin/'));
  });

  it('the admin port serves the whole document: the same as where both surfaces share a port', async () => {
    const whole = (await shared.app.inject('/openapi.json')).json();
    assert.deepEqual(Object.keys(adminDocument.paths).sort(), Object.keys(whole.paths).sort());
    assert.ok(adminPaths(adminDocument).length >= 10);
    for (const path of Object.keys(publicDocument.paths)) assert.ok(adminDocument.paths[path], path);
    assert.ok(adminDocument.components.securitySchemes.adminToken);
  });
});
