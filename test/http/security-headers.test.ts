import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { ADMIN, ADMIN_TOKEN, type AdminTestServer, startAdminServer } from '../helpers/admin-server.js';
import { FORM_HEADERS, form } from '../helpers/test-server.js';

// Security headers on the whole surface: nosniff on every answer (public, admin, 404, errors of
// every kind), never X-Powered-By, and no-store (with Pragma on the OAuth endpoints) on everything
// that carries a token or a secret.

type Request = InjectOptions & { method: string; url: string };

describe('security headers', () => {
  let server: AdminTestServer;
  let clientId = '';
  let clientSecret = '';
  let token = '';
  const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const credentials = () => ({ client_id: clientId, client_secret: clientSecret });

  before(async () => {
    server = await startAdminServer();
    ({ clientId, clientSecret } = await server.createApplication());
    token = String((await server.requestToken({ clientId, clientSecret })).json().access_token);
  });
  after(() => server.close());

  /** Every kind of answer the server gives, each with its expected status. */
  const surface = (): [string, Request, number][] => [
    [
      'token issued',
      {
        method: 'POST',
        url: '/oauth2/token',
        headers: FORM_HEADERS,
        payload: form({ grant_type: 'client_credentials', scope: 'api', ...credentials() }),
      },
      200,
    ],
    [
      'token refused (wrong secret)',
      {
        method: 'POST',
        url: '/oauth2/token',
        headers: FORM_HEADERS,
        payload: form({
          grant_type: 'client_credentials',
          scope: 'api',
          client_id: clientId,
          client_secret: 'wrong',
        }),
      },
      401,
    ],
    [
      'token refused (JSON)',
      {
        method: 'POST',
        url: '/oauth2/token',
        headers: { 'content-type': 'application/json' },
        payload: '{}',
      },
      400,
    ],
    [
      'token refused (too large)',
      { method: 'POST', url: '/oauth2/token', headers: FORM_HEADERS, payload: `a=${'b'.repeat(17_000)}` },
      413,
    ],
    ['token refused (GET)', { method: 'GET', url: '/oauth2/token' }, 405],
    [
      'introspection',
      {
        method: 'POST',
        url: '/oauth2/introspect',
        headers: FORM_HEADERS,
        payload: form({ token, ...credentials() }),
      },
      200,
    ],
    [
      'revocation',
      {
        method: 'POST',
        url: '/oauth2/revoke',
        headers: FORM_HEADERS,
        payload: form({ token: 'not-a-token', ...credentials() }),
      },
      200,
    ],
    ['JWKS', { method: 'GET', url: '/.well-known/jwks.json' }, 200],
    ['metadata', { method: 'GET', url: '/.well-known/oauth-authorization-server' }, 200],
    ['OpenID configuration', { method: 'GET', url: '/.well-known/openid-configuration' }, 200],
    ['OpenAPI', { method: 'GET', url: '/openapi.json' }, 200],
    ['health', { method: 'GET', url: '/healthz' }, 200],
    ['readiness', { method: 'GET', url: '/readyz' }, 200],
    ['HEAD of the JWKS', { method: 'HEAD', url: '/.well-known/jwks.json' }, 200],
    ['OPTIONS', { method: 'OPTIONS', url: '/oauth2/token' }, 405],
    ['unknown path', { method: 'GET', url: '/nowhere' }, 404],
    [
      'unknown path, POST with a body',
      { method: 'POST', url: '/nowhere', headers: FORM_HEADERS, payload: 'a=b' },
      404,
    ],
    ['admin list', { method: 'GET', url: `${ADMIN}/applications`, headers: auth }, 200],
    ['admin without token', { method: 'GET', url: `${ADMIN}/applications` }, 401],
    [
      'admin not found',
      { method: 'GET', url: `${ADMIN}/applications/00000000-0000-4000-8000-000000000000`, headers: auth },
      404,
    ],
    ['admin unknown path', { method: 'GET', url: `${ADMIN}/nowhere`, headers: auth }, 404],
    [
      'admin invalid body',
      {
        method: 'POST',
        url: `${ADMIN}/applications`,
        headers: { ...auth, 'content-type': 'application/json' },
        payload: '{"name":',
      },
      400,
    ],
    [
      'admin form body',
      {
        method: 'POST',
        url: `${ADMIN}/applications`,
        headers: { ...auth, ...FORM_HEADERS },
        payload: 'name=x',
      },
      415,
    ],
    [
      'admin too large',
      {
        method: 'POST',
        url: `${ADMIN}/applications`,
        headers: { ...auth, 'content-type': 'application/json' },
        payload: JSON.stringify({ name: 'x'.repeat(70_000) }),
      },
      413,
    ],
    ['admin metrics', { method: 'GET', url: `${ADMIN}/metrics`, headers: auth }, 200],
    ['admin keys', { method: 'GET', url: `${ADMIN}/keys`, headers: auth }, 200],
  ];

  it('sends X-Content-Type-Options: nosniff and no X-Powered-By on every answer', async () => {
    for (const [what, request, status] of surface()) {
      const response = await server.app.inject(request);
      assert.equal(response.statusCode, status, `${what}: ${response.body}`);
      assert.equal(response.headers['x-content-type-options'], 'nosniff', what);
      assert.equal(response.headers['x-powered-by'], undefined, what);
      assert.equal(response.headers.server, undefined, `${what}: a Server header`);
      // Over plain HTTP (a TLS proxy in front): HSTS is the proxy's to send (test/e2e/https.test.ts).
      assert.equal(response.headers['strict-transport-security'], undefined, what);
    }
  });

  const noStore = (response: LightMyRequestResponse, what: string, pragma: boolean) => {
    assert.equal(response.headers['cache-control'], 'no-store', `${what}: ${response.body}`);
    if (pragma) assert.equal(response.headers.pragma, 'no-cache', what);
  };

  it('sends Cache-Control: no-store and Pragma: no-cache with every OAuth answer, tokens and refusals alike', async () => {
    for (const [what, request] of surface().filter(
      ([, r, status]) => r.url.startsWith('/oauth2/') && status !== 404,
    )) {
      noStore(await server.app.inject(request), `${what} (${request.method} ${request.url})`, true);
    }
  });

  it('sends Cache-Control: no-store with every admin answer, above all those that show a secret', async () => {
    const created = await server.admin('POST', '/applications', { name: 'headers' });
    assert.equal(created.statusCode, 201);
    assert.ok(created.json().client_secret);
    noStore(created, 'a new application (its secret)', false);
    const rotated = await server.admin('POST', `/applications/${created.json().client_id}/rotate-secret`, {});
    assert.ok(rotated.json().client_secret);
    noStore(rotated, 'a rotated secret', false);
    for (const [what, request] of surface().filter(([, r]) => r.url.startsWith(ADMIN))) {
      noStore(await server.app.inject(request), what, false);
    }
  });

  it('lets only the public documents be cached, never an answer that carries a token or a secret', async () => {
    for (const [what, request] of surface()) {
      const response = await server.app.inject(request);
      const cacheControl = String(response.headers['cache-control'] ?? '');
      if (cacheControl.startsWith('public')) {
        assert.match(
          request.url,
          /^\/(\.well-known\/|openapi\.json)/,
          `${what} may be cached: ${cacheControl}`,
        );
        assert.ok(!response.body.includes(token) && !response.body.includes(clientSecret), what);
      }
    }
  });
});
