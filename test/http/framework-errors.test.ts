import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { ADMIN, ADMIN_TOKEN, type AdminTestServer, startAdminServer } from '../helpers/admin-server.js';

// Regression tests for a bug the fuzzers (test/fuzz) found: Fastify answered a URL it cannot decode
// (FST_ERR_BAD_URL) and a route parameter longer than its maxParamLength of 100
// (FST_ERR_MAX_PARAM_LENGTH, 414) itself, before any hook or error handler of ours: no nosniff, no
// no-store, neither error shape, and on /admin/v1 before the admin token was checked. Fixed by
// `frameworkErrors` (src/http/framework-errors.ts, answerFrameworkError).

function expectOAuthShape(response: LightMyRequestResponse, status: number): void {
  assert.equal(response.statusCode, status, response.body);
  assert.equal(response.headers['x-content-type-options'], 'nosniff');
  assert.equal(response.headers['cache-control'], 'no-store');
  assert.deepEqual(Object.keys(response.json()).sort(), ['error', 'error_description']);
  assert.equal(response.json().error, 'invalid_request');
}

function expectAdminShape(response: LightMyRequestResponse, status: number, error: string): void {
  assert.equal(response.statusCode, status, response.body);
  assert.equal(response.headers['x-content-type-options'], 'nosniff');
  assert.equal(response.headers['cache-control'], 'no-store');
  assert.deepEqual(Object.keys(response.json()).sort(), ['error', 'message']);
  assert.equal(response.json().error, error);
}

describe('URLs the router cannot take', () => {
  let server: AdminTestServer;
  before(async () => {
    server = await startAdminServer();
  });
  after(() => server.close());

  it('the control: a bad escape in the query is our RFC 6749 error', async () => {
    const response = await server.app.inject({ method: 'POST', url: '/oauth2/token?x=%zz' });
    expectOAuthShape(response, 400);
  });

  it('a bad percent-escape in an OAuth path is an RFC 6749 invalid_request with nosniff and no-store', async () => {
    for (const url of ['/oauth2/token%zz', '/oauth2/token%c0%af', '/oauth2/revoke/%']) {
      expectOAuthShape(await server.app.inject({ method: 'POST', url }), 400);
    }
  });

  it('a bad percent-escape under /admin/v1 without the admin token is 401, like any admin path', async () => {
    const response = await server.app.inject({ method: 'GET', url: `${ADMIN}/customers/%` });
    expectAdminShape(response, 401, 'unauthorized');
  });

  it('an admin id longer than 100 characters is an admin error like one of 81, not Fastify 414', async () => {
    const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const control = await server.app.inject({
      method: 'GET',
      url: `${ADMIN}/applications/${'a'.repeat(81)}`,
      headers,
    });
    expectAdminShape(control, 400, 'invalid_request');
    const response = await server.app.inject({
      method: 'GET',
      url: `${ADMIN}/applications/${'a'.repeat(101)}`,
      headers,
    });
    expectAdminShape(response, 400, 'invalid_request');
  });
});
