import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import {
  type ClientCredentials,
  FORM_HEADERS,
  form,
  startTestServer,
  type TestServer,
} from '../helpers/test-server.js';

/** Fastify announces every request its router hands to a route handler here. */
const ROUTED = 'tracing:fastify.request.handler:start';

/** What must be the same on both paths: status, headers but Date, and the body's shape. */
function comparable(response: LightMyRequestResponse) {
  const { date: _date, ...headers } = response.headers;
  let body: unknown = response.body;
  if (response.body.startsWith('{')) {
    const json = response.json() as Record<string, unknown>;
    // Tokens and their claims differ between two servers; their members must not.
    body = Object.fromEntries(
      Object.keys(json).map((name) => [name, name === 'error_description' ? json[name] : typeof json[name]]),
    );
  }
  return { status: response.statusCode, headers, body };
}

describe('the OAuth fast path', () => {
  let fast: TestServer;
  let framework: TestServer;
  const clients = new Map<TestServer, ClientCredentials>();
  before(async () => {
    fast = await startTestServer({ env: { OAUTH_FAST_PATH: 'true' } });
    framework = await startTestServer({ env: { OAUTH_FAST_PATH: 'false' } });
    for (const server of [fast, framework]) clients.set(server, await server.createClient());
  });
  after(async () => {
    await fast.close();
    await framework.close();
  });

  it('answers form POSTs to the three endpoints itself, and hands other requests to the router', async () => {
    const routed: unknown[] = [];
    const onRouted = (message: unknown) => void routed.push(message);
    subscribe(ROUTED, onRouted);
    try {
      const client = clients.get(fast) as ClientCredentials;
      const token = await fast.issueToken(client);
      await fast.postForm('/oauth2/introspect', { token }, client);
      await fast.postForm('/oauth2/revoke', { token }, client);
      assert.equal(routed.length, 0, 'no form POST reached the router');
      await fast.app.inject({ method: 'GET', url: '/oauth2/token' });
      assert.equal(routed.length, 1, 'a GET is the router’s (its 405)');
    } finally {
      unsubscribe(ROUTED, onRouted);
    }
  });

  it('gives the same answers as the framework’s routes, refusals included', async () => {
    const requests = (server: TestServer) => {
      const client = clients.get(server) as ClientCredentials;
      const wrong = { ...client, clientSecret: 'wrong' };
      return [
        server.postForm('/oauth2/token', { grant_type: 'client_credentials', scope: 'api' }, client),
        server.postForm('/oauth2/token', { grant_type: 'client_credentials' }, client, 'client_secret_basic'),
        server.postForm('/oauth2/token', { grant_type: 'client_credentials' }, wrong, 'client_secret_basic'),
        server.postForm('/oauth2/token', { grant_type: 'password' }, client),
        server.postForm('/oauth2/token?scope=api', { grant_type: 'client_credentials' }, client),
        server.postForm('/oauth2/introspect', { token: 'not-a-token' }, client),
        server.postForm('/oauth2/revoke', { token: 'not-a-token' }, client),
        server.app.inject({ method: 'POST', url: '/oauth2/token', headers: FORM_HEADERS, payload: 'a=%zz' }),
        server.app.inject({
          method: 'POST',
          url: '/oauth2/token',
          headers: { 'content-type': 'application/json' },
          payload: '{}',
        }),
        server.app.inject({
          method: 'POST',
          url: '/oauth2/token',
          headers: FORM_HEADERS,
          payload: form({ grant_type: 'x'.repeat(17 * 1024) }),
        }),
        server.app.inject({ method: 'DELETE', url: '/oauth2/revoke' }),
      ];
    };
    const fastAnswers = await Promise.all(requests(fast));
    const frameworkAnswers = await Promise.all(requests(framework));
    assert.deepEqual(fastAnswers.map(comparable), frameworkAnswers.map(comparable));
  });
});
