import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTokenClient, TokenRequestError } from '../../src/kit/client/index.js';
import { discover } from '../../src/kit/verify/discovery.js';
import { Introspector } from '../../src/kit/verify/introspection.js';
import { ServerCalls } from '../../src/mcp/server-calls.js';
import { HandMadeIssuer } from './hand-made-issuer.js';
import { LoopbackRecorder } from './loopback-recorder.js';

const SECRET = 'the-client-secret';
const ADMIN_TOKEN = 'the-admin-token';

describe('credentials never leave the issuer', { timeout: 30_000 }, () => {
  let elsewhere: LoopbackRecorder;
  let redirector: LoopbackRecorder;
  before(async () => {
    // Answers as a server would, so that a followed redirect succeeds rather than fails by chance.
    elsewhere = await LoopbackRecorder.start((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ active: true, access_token: 'stolen', expires_in: 3600, scope: 'api' }));
    });
    redirector = await LoopbackRecorder.start((req, res) => {
      res.writeHead(308, { location: `${elsewhere.url}${req.url}` }).end();
    });
  });
  after(async () => {
    await redirector?.close();
    await elsewhere?.close();
  });

  const nothingElsewhere = () => {
    assert.deepEqual(elsewhere.received, [], 'a credentialed request followed the redirect');
  };

  it('the token client refuses a 307/308 from the token endpoint without re-POSTing the secret', async () => {
    const client = createTokenClient({
      issuer: redirector.url,
      tokenEndpoint: `${redirector.url}/oauth2/token`,
      clientId: 'client',
      clientSecret: SECRET,
      retry: { attempts: 2, baseDelayMs: 10 },
    });
    await assert.rejects(client.getToken({ scope: 'api' }), (error: unknown) => {
      assert.ok(error instanceof TokenRequestError, String(error));
      assert.equal(error.status, 308);
      return true;
    });
    assert.ok(redirector.received.some((r) => r.body.includes(SECRET)));
    nothingElsewhere();
  });

  it('introspection in the verifier does not follow a redirect with its Authorization', async () => {
    const introspector = new Introspector(`${redirector.url}/oauth2/introspect`, {
      clientId: 'client',
      clientSecret: SECRET,
    });
    await assert.rejects(introspector.activeClaims('a-token'), /answered 308/);
    nothingElsewhere();
  });

  it("the MCP server's introspection and admin calls do not follow a redirect", async () => {
    const calls = new ServerCalls({
      issuer: redirector.url,
      clientId: 'client',
      clientSecret: SECRET,
      audience: undefined,
      adminToken: ADMIN_TOKEN,
    });
    await assert.rejects(calls.introspect('a-token'), /http_308/);
    await assert.rejects(calls.admin('POST', '/customers', { app_user_id: 'x' }), /http_308/);
    await assert.rejects(calls.admin('GET', '/applications'), /http_308/);
    nothingElsewhere();
  });
});

describe('discovery keeps the endpoints at the issuer', { timeout: 30_000 }, () => {
  let issuer: HandMadeIssuer;
  before(async () => {
    issuer = await HandMadeIssuer.start();
  });
  after(() => issuer?.close());

  it('accepts endpoints at the issuer', async () => {
    issuer.metadata = { introspection_endpoint: `${issuer.issuer}/introspect` };
    assert.equal((await discover(issuer.issuer)).jwks_uri, `${issuer.issuer}/jwks`);
  });

  const port = () => Number(new URL(issuer.issuer).port);
  const elsewhere = () => ({
    'another host': `http://localhost:${port()}/x`,
    'another port': `http://127.0.0.1:${port() === 65535 ? 1 : port() + 1}/x`,
    'another scheme': `https://127.0.0.1:${port()}/x`,
    'no URL': 'not a url',
  });
  for (const name of ['token_endpoint', 'jwks_uri', 'introspection_endpoint']) {
    it(`refuses a ${name} at another origin`, async () => {
      for (const [where, url] of Object.entries(elsewhere())) {
        issuer.metadata = { [name]: url };
        await assert.rejects(discover(issuer.issuer), new RegExp(`${name}.*outside the issuer`), where);
      }
      issuer.metadata = {};
    });
  }
});

describe('an introspection answer without exp', { timeout: 30_000 }, () => {
  it('is believed for the cache lifetime only, then asked again', async () => {
    const server = await LoopbackRecorder.start((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ active: true, scope: 'api', client_id: 'client' }));
    });
    try {
      const introspector = new Introspector(`${server.url}/introspect`, {
        clientId: 'client',
        clientSecret: SECRET,
        cacheMs: 200,
      });
      await introspector.activeClaims('a-token');
      await introspector.activeClaims('a-token');
      assert.equal(server.received.length, 1);
      await new Promise((resolve) => setTimeout(resolve, 250));
      await introspector.activeClaims('a-token');
      assert.equal(server.received.length, 2);
    } finally {
      await server.close();
    }
  });
});
