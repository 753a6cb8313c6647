import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { startAdminServer } from '../helpers/admin-server.js';
import { FORM_HEADERS, form, startTestServer, type TestServer } from '../helpers/test-server.js';

// dist/test/http/ → the repository root is three up; the contract is kept there, word for word.
const CONTRACT = fileURLToPath(new URL('../../../openapi/lean-authentication-api.yml', import.meta.url));

type Schema = Record<string, unknown> & { properties?: Record<string, unknown>; required?: string[] };
interface Document {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: { schemas: Record<string, Schema> };
}

const contract = parse(readFileSync(CONTRACT, 'utf8')) as Document;
let server: TestServer;
let served: Document;
let ajv: Ajv;

/** Follows `$ref: '#/components/schemas/X'` within a document. */
function resolve(document: Document, schema: unknown): Schema {
  const ref = (schema as { $ref?: string }).$ref;
  if (ref === undefined) return schema as Schema;
  const name = ref.replace('#/components/schemas/', '');
  const target = document.components.schemas[name];
  assert.ok(target, `unresolved ${ref}`);
  return target;
}

function tokenOperation(document: Document) {
  return document.paths['/oauth2/token']?.post as {
    requestBody: { content: Record<string, { schema: unknown }> };
    responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
  };
}

/** Validates `body` against the served document's schema for that path, method and status. */
function assertMatchesDocument(path: string, method: string, status: number, body: unknown): void {
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
  assert.ok(validate, `the document describes no ${status} for ${method.toUpperCase()} ${path}`);
  assert.ok(validate(body), `${method.toUpperCase()} ${path} ${status}: ${ajv.errorsText(validate.errors)}`);
}

before(async () => {
  server = await startTestServer();
  // The whole document is served where the admin API is (test/http/openapi-surfaces.test.ts).
  const withAdmin = await startAdminServer();
  try {
    const response = await withAdmin.app.inject('/openapi.json');
    assert.equal(response.statusCode, 200);
    served = response.json();
  } finally {
    await withAdmin.close();
  }
  ajv = new Ajv({ strict: false, validateFormats: false });
  ajv.addSchema(served, 'served');
});
after(() => server.close());

describe('GET /openapi.json and the Lean Authentication API contract', () => {
  it('describes the token request exactly as the contract does', () => {
    const ours = tokenOperation(served);
    const theirs = tokenOperation(contract);
    assert.deepEqual(Object.keys(ours.requestBody.content), Object.keys(theirs.requestBody.content));
    const type = 'application/x-www-form-urlencoded';
    assert.deepEqual(
      resolve(served, ours.requestBody.content[type]?.schema),
      resolve(contract, theirs.requestBody.content[type]?.schema),
    );
  });

  it('describes every contract response, with the contract’s TokenResponse members unchanged', () => {
    const ours = tokenOperation(served);
    const theirs = tokenOperation(contract);
    for (const status of Object.keys(theirs.responses))
      assert.ok(ours.responses[status], `response ${status}`);
    const contractResponse = resolve(
      contract,
      theirs.responses['200']?.content?.['application/json']?.schema,
    );
    const ourResponse = resolve(served, ours.responses['200']?.content?.['application/json']?.schema);
    for (const [name, definition] of Object.entries(contractResponse.properties ?? {})) {
      assert.deepEqual(ourResponse.properties?.[name], definition, name);
    }
    for (const name of contractResponse.required ?? []) assert.ok(ourResponse.required?.includes(name), name);
  });

  it('lists every public and admin endpoint the server has', () => {
    const paths = Object.keys(served.paths);
    for (const path of [
      '/oauth2/token',
      '/oauth2/introspect',
      '/oauth2/revoke',
      '/.well-known/jwks.json',
      '/.well-known/oauth-authorization-server',
      '/.well-known/openid-configuration',
      '/healthz',
      '/readyz',
      '/admin/v1/applications',
      '/admin/v1/applications/{client_id}/rotate-secret',
      '/admin/v1/keys/rotate',
      '/admin/v1/audit',
    ]) {
      assert.ok(paths.includes(path), path);
    }
    // And the server has no public route the document leaves out: every printed route is listed
    // (but the dashboard's HTML pages, which are no API).
    const routes = server.app
      .printRoutes({ commonPrefix: false })
      .split('\n')
      // Top-level entries only: nested lines are the rest of a path (the dashboard's, below).
      .filter((line) => /^[├└]── \//.test(line))
      .map((line) => line.replace(/^[├└]── /, '').split(' (')[0] ?? '')
      .filter((route) => !route.startsWith('/admin') && route !== '/dashboard');
    for (const route of routes) assert.ok(paths.includes(route), `undocumented route ${route}`);
  });
});

describe('responses agree with the document', () => {
  it('token responses: 200, 400 and 401 (and the 200 with the contract’s own TokenResponse)', async () => {
    const client = await server.createClient();
    const ok = await server.app.inject({
      method: 'POST',
      url: '/oauth2/token',
      headers: FORM_HEADERS,
      payload: form({
        grant_type: 'client_credentials',
        scope: 'api',
        client_id: client.clientId,
        client_secret: client.clientSecret,
      }),
    });
    assert.equal(ok.statusCode, 200);
    assertMatchesDocument('/oauth2/token', 'post', 200, ok.json());
    const contractAjv = new Ajv({ strict: false });
    const validate = contractAjv.compile({
      ...resolve(contract, { $ref: '#/components/schemas/TokenResponse' }),
      additionalProperties: true,
    });
    assert.ok(validate(ok.json()), contractAjv.errorsText(validate.errors));

    const bad = await server.app.inject({
      method: 'POST',
      url: '/oauth2/token',
      headers: FORM_HEADERS,
      payload: 'grant_type=password',
    });
    assert.equal(bad.statusCode, 400);
    assertMatchesDocument('/oauth2/token', 'post', 400, bad.json());
    const denied = await server.app.inject({
      method: 'POST',
      url: '/oauth2/token',
      headers: FORM_HEADERS,
      payload: form({
        grant_type: 'client_credentials',
        scope: 'api',
        client_id: client.clientId,
        client_secret: 'x',
      }),
    });
    assert.equal(denied.statusCode, 401);
    assertMatchesDocument('/oauth2/token', 'post', 401, denied.json());
  });

  it('introspection and the JWKS', async () => {
    const client = await server.createClient();
    const credentials = { client_id: client.clientId, client_secret: client.clientSecret };
    const token = (
      await server.app.inject({
        method: 'POST',
        url: '/oauth2/token',
        headers: FORM_HEADERS,
        payload: form({ grant_type: 'client_credentials', scope: 'api', ...credentials }),
      })
    ).json().access_token;
    for (const candidate of [token, 'not-a-token']) {
      const response = await server.app.inject({
        method: 'POST',
        url: '/oauth2/introspect',
        headers: FORM_HEADERS,
        payload: form({ token: candidate, ...credentials }),
      });
      assertMatchesDocument('/oauth2/introspect', 'post', 200, response.json());
    }
    assertMatchesDocument(
      '/.well-known/jwks.json',
      'get',
      200,
      (await server.app.inject('/.well-known/jwks.json')).json(),
    );
  });
});
