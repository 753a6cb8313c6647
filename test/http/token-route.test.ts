import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { AUTHENTICATION_FAILED } from '../../src/oauth/client-authentication.js';
import {
  expectOAuthError,
  FORM_HEADERS,
  form,
  startTestServer,
  TEST_ACTOR,
  type TestServer,
} from '../helpers/test-server.js';

let server: TestServer;
let client: { clientId: string; clientSecret: string };
let customerId: string;

before(async () => {
  server = await startTestServer();
  client = await server.createClient();
  customerId = (await server.services.customers.create(client.clientId, 'user-1', TEST_ACTOR)).customerId;
});
after(() => server.close());

function post(
  payload: string | Buffer,
  headers: Record<string, string> = FORM_HEADERS,
  url = '/oauth2/token',
) {
  return server.app.inject({ method: 'POST', url, headers, payload });
}

function tokenRequest(overrides: Record<string, string | undefined> = {}) {
  const parameters: Record<string, string> = {};
  const all = { grant_type: 'client_credentials', scope: 'api', ...client_params(), ...overrides };
  for (const [name, value] of Object.entries(all)) if (value !== undefined) parameters[name] = value;
  return post(form(parameters));
}

function client_params() {
  return { client_id: client.clientId, client_secret: client.clientSecret };
}

/** RFC 6749 §5.2 error answers, as everywhere. */
const expectError = expectOAuthError;

async function verify(token: string) {
  const jwks = createLocalJWKSet(server.services.keys.jwks() as Parameters<typeof createLocalJWKSet>[0]);
  return jwtVerify(token, jwks, {
    issuer: server.config.issuer,
    audience: server.config.tokenAudience,
    typ: 'at+jwt',
  });
}

describe('POST /oauth2/token: issuing', () => {
  it('issues an api token (client_secret_post) with the RFC 6749 §5.1 headers', async () => {
    const response = await tokenRequest();
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.equal(response.headers.pragma, 'no-cache');
    const body = response.json();
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
    assert.equal(body.token_type, 'bearer');
    assert.equal(body.expires_in, 3600);
    assert.equal(body.scope, 'api');
    const { payload, protectedHeader } = await verify(body.access_token);
    assert.equal(protectedHeader.typ, 'at+jwt');
    assert.equal(protectedHeader.kid, server.services.keys.activeSigner().kid);
    assert.equal(payload.sub, client.clientId);
    assert.equal(payload.client_id, client.clientId);
    assert.equal(payload.scope, 'api');
    assert.equal(payload.customer_id, undefined);
    assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 3600);
    assert.match(String(payload.jti), /^[0-9a-f-]{36}$/);
  });

  it('issues a customer token (client_secret_basic) carrying customer_id', async () => {
    const basic = Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64');
    const response = await post(form({ grant_type: 'client_credentials', scope: `customer.${customerId}` }), {
      ...FORM_HEADERS,
      authorization: `Basic ${basic}`,
    });
    assert.equal(response.statusCode, 200, response.body);
    const body = response.json();
    assert.equal(body.scope, `customer.${customerId}`);
    const { payload } = await verify(body.access_token);
    assert.equal(payload.customer_id, customerId);
    assert.equal(payload.scope, `customer.${customerId}`);
  });

  it('gives every token a new jti', async () => {
    const [a, b] = await Promise.all([tokenRequest(), tokenRequest()]);
    const jti = async (r: typeof a) => (await verify(r.json().access_token)).payload.jti;
    assert.notEqual(await jti(a), await jti(b));
  });

  it('uses per-application lifetimes', async () => {
    const custom = await server.createClient({ apiTokenTtl: 120, customerTokenTtl: 900 });
    const customer = await server.services.customers.create(custom.clientId, 'u', TEST_ACTOR);
    const api = await tokenRequest({ client_id: custom.clientId, client_secret: custom.clientSecret });
    assert.equal(api.json().expires_in, 120);
    const sdk = await tokenRequest({
      client_id: custom.clientId,
      client_secret: custom.clientSecret,
      scope: `customer.${customer.customerId}`,
    });
    assert.equal(sdk.json().expires_in, 900);
    const { payload } = await verify(sdk.json().access_token);
    assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 900);
  });

  it('ignores unknown parameters (RFC 6749 §3.2)', async () => {
    assert.equal((await tokenRequest({ resource: 'x', extra: 'y' })).statusCode, 200);
  });

  it('signs with the key the JWKS publishes', async () => {
    const { kid } = decodeProtectedHeader((await tokenRequest()).json().access_token);
    const jwks = (await server.app.inject('/.well-known/jwks.json')).json();
    assert.ok(jwks.keys.some((k: { kid: string }) => k.kid === kid));
  });
});

describe('POST /oauth2/token: bad input', () => {
  for (const name of ['grant_type', 'client_id', 'client_secret', 'scope']) {
    for (const [label, value] of [
      ['missing', undefined],
      ['empty', ''],
    ] as const) {
      it(`${label} ${name} is refused with a description naming it`, async () => {
        const response = await tokenRequest({ [name]: value });
        const expected = {
          grant_type: [400, 'invalid_request', /grant_type is missing/],
          client_id: [401, 'invalid_client', /client_id is missing/],
          client_secret: [401, 'invalid_client', /client_secret is missing/],
          scope: [400, 'invalid_scope', /scope is required/],
        } as const;
        const [status, error, description] = expected[name as keyof typeof expected];
        await expectError(response, status, error, description);
      });
    }
  }

  it('refuses a parameter sent twice', async () => {
    const body = `${form({ grant_type: 'client_credentials', ...client_params() })}&scope=api&scope=api`;
    await expectError(await post(body), 400, 'invalid_request', /'scope' is sent more than once/);
  });

  it('refuses an unknown grant_type', async () => {
    await expectError(
      await tokenRequest({ grant_type: 'password' }),
      400,
      'unsupported_grant_type',
      /'password' is not supported/,
    );
  });

  it('refuses unknown and multiple scopes', async () => {
    await expectError(
      await tokenRequest({ scope: 'openid' }),
      400,
      'invalid_scope',
      /unknown scope 'openid'/,
    );
    await expectError(
      await tokenRequest({ scope: `api customer.${customerId}` }),
      400,
      'invalid_scope',
      /one scope at a time/,
    );
  });

  it('refuses customer scopes that do not name an active customer of this application', async () => {
    await expectError(
      await tokenRequest({ scope: 'customer.' }),
      400,
      'invalid_scope',
      /needs a customer_id/,
    );
    await expectError(
      await tokenRequest({ scope: 'customer.bob' }),
      400,
      'invalid_scope',
      /'bob' is not a customer_id/,
    );
    const unknown = '00000000-0000-4000-8000-000000000000';
    await expectError(
      await tokenRequest({ scope: `customer.${unknown}` }),
      400,
      'invalid_scope',
      new RegExp(`no customer '${unknown}' belongs to this application`),
    );

    const other = await server.createClient();
    const foreign = await server.services.customers.create(other.clientId, 'user-1', TEST_ACTOR);
    const response = await tokenRequest({ scope: `customer.${foreign.customerId}` });
    // Another application's customer looks exactly like an unknown one.
    await expectError(response, 400, 'invalid_scope', /belongs to this application/);

    const disabled = await server.services.customers.create(client.clientId, 'user-disabled', TEST_ACTOR);
    await server.services.customers.disable(disabled.customerId, TEST_ACTOR);
    await expectError(
      await tokenRequest({ scope: `customer.${disabled.customerId}` }),
      400,
      'invalid_scope',
      /is disabled/,
    );
  });

  it('refuses a token class the application may not use', async () => {
    const apiOnly = await server.createClient({ tokenClasses: ['api'] });
    const customer = await server.services.customers.create(apiOnly.clientId, 'u', TEST_ACTOR);
    await expectError(
      await tokenRequest({ ...apiOnly_params(apiOnly), scope: `customer.${customer.customerId}` }),
      400,
      'invalid_scope',
      /may not request customer tokens/,
    );
  });

  it('answers an unknown client and a wrong secret identically', async () => {
    const unknown = await tokenRequest({ client_id: '00000000-0000-4000-8000-000000000000' });
    const wrong = await tokenRequest({ client_secret: `${client.clientSecret.slice(0, -1)}x` });
    const malformedId = await tokenRequest({ client_id: 'not-a-uuid' });
    for (const response of [unknown, wrong, malformedId]) {
      await expectError(response, 401, 'invalid_client', new RegExp(AUTHENTICATION_FAILED));
      // The credentials came in the body: no Basic challenge (RFC 6749 §5.2 asks for one after Basic).
      assert.equal(response.headers['www-authenticate'], undefined);
    }
    assert.equal(unknown.body, wrong.body);
    assert.deepEqual(
      { ...unknown.headers, date: undefined, 'content-length': undefined },
      { ...wrong.headers, date: undefined, 'content-length': undefined },
    );
  });

  it('answers a failed Basic authentication with a Basic challenge', async () => {
    const basic = Buffer.from(`${client.clientId}:wrong`).toString('base64');
    const response = await post(form({ grant_type: 'client_credentials', scope: 'api' }), {
      ...FORM_HEADERS,
      authorization: `Basic ${basic}`,
    });
    await expectError(response, 401, 'invalid_client', new RegExp(AUTHENTICATION_FAILED));
    assert.equal(response.headers['www-authenticate'], 'Basic realm="lean-auth", charset="UTF-8"');
  });

  it('refuses a disabled application, and serves it again once enabled', async () => {
    const app = await server.createClient();
    await server.services.applications.disable(app.clientId, TEST_ACTOR);
    await expectError(await tokenRequest(apiOnly_params(app)), 401, 'invalid_client', /disabled/);
    await server.services.applications.enable(app.clientId, TEST_ACTOR);
    assert.equal((await tokenRequest(apiOnly_params(app))).statusCode, 200);
  });

  it('refuses credentials in both Basic and the body', async () => {
    const basic = Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64');
    const response = await post(
      form({ grant_type: 'client_credentials', scope: 'api', ...client_params() }),
      {
        ...FORM_HEADERS,
        authorization: `Basic ${basic}`,
      },
    );
    await expectError(response, 400, 'invalid_request', /both in the Authorization header and in the body/);
  });

  it('refuses malformed Basic headers with 401 and a challenge', async () => {
    for (const [authorization, description] of [
      ['Basic %%%', /not valid base64/],
      [`Basic ${Buffer.from('no-colon').toString('base64')}`, /no ':'/],
      ['Bearer abc.def.ghi', /must use the Basic scheme/],
    ] as const) {
      const response = await post(form({ grant_type: 'client_credentials', scope: 'api' }), {
        ...FORM_HEADERS,
        authorization,
      });
      await expectError(response, 401, 'invalid_client', description);
      assert.match(String(response.headers['www-authenticate']), /^Basic/);
    }
  });

  it('refuses JSON and multipart bodies', async () => {
    const json = await post(JSON.stringify({ grant_type: 'client_credentials' }), {
      'content-type': 'application/json',
    });
    await expectError(
      json,
      400,
      'invalid_request',
      /must be application\/x-www-form-urlencoded, got 'application\/json'/,
    );
    const multipart = await post('--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n', {
      'content-type': 'multipart/form-data; boundary=x',
    });
    await expectError(multipart, 400, 'invalid_request', /got 'multipart\/form-data'/);
    await expectError(
      await post('grant_type=client_credentials', {}),
      400,
      'invalid_request',
      /no Content-Type/,
    );
  });

  it('refuses bytes that are not UTF-8', async () => {
    const raw = Buffer.concat([
      Buffer.from('grant_type=client_credentials&scope=api&client_id='),
      Buffer.from([0xc3, 0x28]),
    ]);
    await expectError(await post(raw), 400, 'invalid_request', /not valid UTF-8/);
    await expectError(
      await post('grant_type=client_credentials&client_id=%FF'),
      400,
      'invalid_request',
      /not UTF-8/,
    );
  });

  it('refuses a 1 MiB body with 413 in the RFC shape', async () => {
    const response = await post(Buffer.alloc(1024 * 1024, 'a'));
    await expectError(response, 413, 'invalid_request', /larger than \d+ bytes/);
  });

  it('refuses parameters in the URL', async () => {
    const response = await post(
      form({ grant_type: 'client_credentials', scope: 'api' }),
      FORM_HEADERS,
      `/oauth2/token?${form(client_params())}`,
    );
    await expectError(response, 400, 'invalid_request', /not in the URL/);
  });

  it('answers GET, PUT, PATCH, DELETE and OPTIONS with 405 and Allow: POST', async () => {
    for (const method of ['GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const) {
      const response = await server.app.inject({ method, url: '/oauth2/token' });
      await expectError(response, 405, 'invalid_request', new RegExp(`${method} is not allowed`));
      assert.equal(response.headers.allow, 'POST');
    }
  });

  it('answers unknown paths with a JSON 404', async () => {
    const response = await server.app.inject({
      method: 'GET',
      url: '/oauth2/authorize?client_secret=s3cret',
    });
    assert.equal(response.statusCode, 404);
    assert.deepEqual(response.json(), {
      error: 'not_found',
      error_description: 'no route for GET /oauth2/authorize',
    });
  });
});

function apiOnly_params(app: { clientId: string; clientSecret: string }) {
  return { client_id: app.clientId, client_secret: app.clientSecret };
}
