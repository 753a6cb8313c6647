import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import {
  ADMIN,
  ADMIN_TOKEN,
  type AdminMethod,
  type AdminTestServer,
  expectAdminError,
  expectRefusedWithoutChange,
  startAdminServer,
} from '../../helpers/admin-server.js';
import { freshPostgresSchema, skipWithoutPostgres } from '../../helpers/postgres.js';
import type { ClientCredentials } from '../../helpers/test-server.js';

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
/** The admin body limit: 64 KiB. */
const ADMIN_BODY_LIMIT = 64 * 1024;

let server: AdminTestServer;
let client: ClientCredentials;
let customerId: string;

before(async () => {
  server = await startAdminServer();
  client = await server.createApplication({ name: 'existing' });
  customerId = (
    await server.admin('POST', `/applications/${client.clientId}/customers`, { app_user_id: 'existing-user' })
  ).json().customer_id;
});
after(() => server.close());

/** Every admin operation, with a body it would accept. */
function operations(): [AdminMethod, string, unknown?][] {
  return [
    ['POST', '/applications', { name: 'x' }],
    ['GET', '/applications'],
    ['GET', `/applications/${client.clientId}`],
    ['PATCH', `/applications/${client.clientId}`, { name: 'y' }],
    ['POST', `/applications/${client.clientId}/disable`],
    ['POST', `/applications/${client.clientId}/enable`],
    ['POST', `/applications/${client.clientId}/rotate-secret`, { grace_seconds: 0 }],
    ['POST', `/applications/${client.clientId}/customers`, { app_user_id: 'new-user' }],
    ['GET', `/applications/${client.clientId}/customers`],
    ['GET', `/customers/${customerId}`],
    ['POST', `/customers/${customerId}/disable`],
    ['POST', `/customers/${customerId}/enable`],
    ['GET', '/keys'],
    ['POST', '/keys/rotate', { now: true }],
    ['GET', '/audit'],
  ];
}

function expectUnauthorized(response: LightMyRequestResponse, message: RegExp): void {
  expectAdminError(response, 401, 'unauthorized', message);
  assert.match(String(response.headers['www-authenticate']), /^Bearer( |$)/);
}

describe('admin authentication', () => {
  const wrongTokens: [string, Record<string, string>, RegExp][] = [
    ['no Authorization header', {}, /the admin API needs Authorization: Bearer <ADMIN_TOKEN>/],
    [
      'HTTP Basic',
      { authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}` },
      /must be Bearer <ADMIN_TOKEN>/,
    ],
    ['the token without a scheme', { authorization: ADMIN_TOKEN }, /must be Bearer <ADMIN_TOKEN>/],
    ['Bearer with no token', { authorization: 'Bearer ' }, /must be Bearer <ADMIN_TOKEN>/],
    [
      'Bearer and two words',
      { authorization: `Bearer ${ADMIN_TOKEN} extra` },
      /must be Bearer <ADMIN_TOKEN>/,
    ],
    ['a wrong token', { authorization: `Bearer ${'0'.repeat(64)}` }, /the admin token is wrong/],
    [
      'the token with its last character changed',
      { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}${ADMIN_TOKEN.endsWith('0') ? '1' : '0'}` },
      /the admin token is wrong/,
    ],
    [
      'a prefix of the token',
      { authorization: `Bearer ${ADMIN_TOKEN.slice(0, 32)}` },
      /the admin token is wrong/,
    ],
    ['the token twice', { authorization: `Bearer ${ADMIN_TOKEN}${ADMIN_TOKEN}` }, /the admin token is wrong/],
  ];

  let caller = 0;
  for (const [what, headers, message] of wrongTokens) {
    it(`refuses ${what} on every operation with 401 and WWW-Authenticate: Bearer, changing nothing`, async () => {
      const before = await server.snapshot();
      for (const [method, path, body] of operations()) {
        // Each from an address of its own: the throttle answers an address's sixth wrong token 429.
        const remoteAddress = `192.0.2.${++caller}`;
        const response = await server.admin(method, path, body, null, headers, { remoteAddress });
        expectUnauthorized(response, message);
      }
      assert.deepEqual(await server.snapshot(), before);
    });
  }

  it('checks the token before anything else: an unknown path or a bad body without it is 401', async () => {
    expectUnauthorized(await server.admin('GET', '/no-such-thing', undefined, null), /needs Authorization/);
    expectUnauthorized(await server.admin('POST', '/applications', '{"name":', null), /needs Authorization/);
    expectUnauthorized(
      await server.admin('POST', '/applications', 'x'.repeat(ADMIN_BODY_LIMIT + 1), 'wrong'),
      /the admin token is wrong/,
    );
  });

  it('takes the scheme in any case (RFC 9110: case-insensitive)', async () => {
    const response = await server.admin('GET', '/keys', undefined, null, {
      authorization: `bearer ${ADMIN_TOKEN}`,
    });
    assert.equal(response.statusCode, 200, response.body);
  });

  it('does not take the token from the query string', async () => {
    expectUnauthorized(
      await server.admin('GET', `/keys?access_token=${ADMIN_TOKEN}`, undefined, null),
      /needs Authorization/,
    );
  });

  it('the public endpoints need no admin token', async () => {
    const token = await server.requestToken(client);
    assert.equal(token.statusCode, 200, token.body);
    for (const url of [
      '/.well-known/jwks.json',
      '/.well-known/oauth-authorization-server',
      '/.well-known/openid-configuration',
      '/healthz',
      '/readyz',
    ]) {
      const response = await server.app.inject({ method: 'GET', url });
      assert.equal(response.statusCode, 200, `${url}: ${response.body}`);
    }
  });
});

describe('bad input to the admin API: a 4xx naming the problem, and no write', () => {
  it('malformed JSON is 400', async () => {
    for (const body of ['{"name":', '{name: "x"}', "{'name': 'x'}", '{"name":"x",}']) {
      await expectRefusedWithoutChange(
        server,
        () => server.admin('POST', '/applications', body),
        400,
        'invalid_request',
        /not valid JSON/,
      );
    }
  });

  it('JSON with __proto__ or constructor.prototype is 400', async () => {
    for (const body of [
      '{"name":"x","__proto__":{"admin":true}}',
      '{"name":"x","constructor":{"prototype":{}}}',
    ]) {
      await expectRefusedWithoutChange(
        server,
        () => server.admin('POST', '/applications', body),
        400,
        'invalid_request',
        /not valid JSON/,
      );
    }
  });

  it('an empty JSON body, or JSON that is not an object, is 400', async () => {
    await expectRefusedWithoutChange(
      server,
      () => server.admin('POST', '/applications', ''),
      400,
      'invalid_request',
      /Body cannot be empty when content-type is set to 'application\/json'/,
    );
    for (const body of ['[]', 'null', '"name"', '42', 'true']) {
      await expectRefusedWithoutChange(
        server,
        () => server.admin('POST', '/applications', body),
        400,
        'invalid_request',
        /body must be object/,
      );
    }
  });

  it('an unknown field is 400 naming it', async () => {
    const cases: [AdminMethod, string, unknown][] = [
      ['POST', '/applications', { name: 'x', client_secret: 'chosen' }],
      ['PATCH', `/applications/${client.clientId}`, { status: 'disabled' }],
      ['POST', `/applications/${client.clientId}/rotate-secret`, { grace: 0 }],
      ['POST', `/applications/${client.clientId}/customers`, { app_user_id: 'u', status: 'disabled' }],
      ['POST', '/keys/rotate', { alg: 'ES256' }],
    ];
    for (const [method, path, body] of cases) {
      const field = Object.keys(body as object).at(-1);
      await expectRefusedWithoutChange(
        server,
        () => server.admin(method, path, body),
        400,
        'invalid_request',
        new RegExp(`body has an unknown field '${field}'`),
      );
    }
  });

  it('a wrong type is 400 naming the field and the type (no coercion)', async () => {
    const cases: [AdminMethod, string, unknown, RegExp][] = [
      ['POST', '/applications', { name: 42 }, /body\.name must be string/],
      [
        'POST',
        '/applications',
        { name: 'x', resource_server: 'true' },
        /body\.resource_server must be boolean/,
      ],
      ['POST', '/applications', { name: 'x', token_classes: 'api' }, /body\.token_classes must be array/],
      [
        'POST',
        '/applications',
        { name: 'x', api_token_ttl: '600' },
        /body\.api_token_ttl must be integer,null/,
      ],
      ['PATCH', `/applications/${client.clientId}`, { name: null }, /body\.name must be string/],
      [
        'PATCH',
        `/applications/${client.clientId}`,
        { resource_server: 1 },
        /body\.resource_server must be boolean/,
      ],
      [
        'POST',
        `/applications/${client.clientId}/rotate-secret`,
        { grace_seconds: '0' },
        /body\.grace_seconds must be integer/,
      ],
      [
        'POST',
        `/applications/${client.clientId}/customers`,
        { app_user_id: 7 },
        /body\.app_user_id must be string/,
      ],
      ['POST', '/keys/rotate', { now: 'true' }, /body\.now must be boolean/],
    ];
    for (const [method, path, body, message] of cases) {
      await expectRefusedWithoutChange(
        server,
        () => server.admin(method, path, body),
        400,
        'invalid_request',
        message,
      );
    }
  });

  it('a missing required field is 400 naming it', async () => {
    await expectRefusedWithoutChange(
      server,
      () => server.admin('POST', '/applications', { token_classes: ['api'] }),
      400,
      'invalid_request',
      /body needs the field 'name'/,
    );
    await expectRefusedWithoutChange(
      server,
      () => server.admin('POST', `/applications/${client.clientId}/customers`, {}),
      400,
      'invalid_request',
      /body needs the field 'app_user_id'/,
    );
    await expectRefusedWithoutChange(
      server,
      () => server.admin('POST', '/applications'),
      400,
      'invalid_request',
      /body must be object/,
    );
  });

  it('an unknown or non-UUID id is 404 on every operation that takes one', async () => {
    for (const id of [UNKNOWN_ID, 'not-a-uuid', `${UNKNOWN_ID}x`, '%00', 'x'.repeat(80)]) {
      const cases: [AdminMethod, string, unknown?][] = [
        ['GET', `/applications/${id}`],
        ['PATCH', `/applications/${id}`, { name: 'y' }],
        ['POST', `/applications/${id}/disable`],
        ['POST', `/applications/${id}/enable`],
        ['POST', `/applications/${id}/rotate-secret`, { grace_seconds: 0 }],
        ['POST', `/applications/${id}/customers`, { app_user_id: 'u' }],
        ['GET', `/applications/${id}/customers`],
      ];
      for (const [method, path, body] of cases) {
        await expectRefusedWithoutChange(
          server,
          () => server.admin(method, path, body),
          404,
          'not_found',
          /no application has client_id '/,
        );
      }
      for (const [method, path] of [
        ['GET', `/customers/${id}`],
        ['POST', `/customers/${id}/disable`],
        ['POST', `/customers/${id}/enable`],
      ] as const) {
        await expectRefusedWithoutChange(
          server,
          () => server.admin(method, path),
          404,
          'not_found',
          /no customer has customer_id '/,
        );
      }
    }
  });

  it('an id longer than 80 characters is 400', async () => {
    await expectRefusedWithoutChange(
      server,
      () => server.admin('POST', `/applications/${'x'.repeat(81)}/disable`),
      400,
      'invalid_request',
      /params\.client_id must NOT have more than 80 characters/,
    );
  });

  it('a duplicate app_user_id is 409', async () => {
    await expectRefusedWithoutChange(
      server,
      () =>
        server.admin('POST', `/applications/${client.clientId}/customers`, { app_user_id: 'existing-user' }),
      409,
      'conflict',
      /already has a customer with app_user_id 'existing-user'/,
    );
  });

  it('a body over 64 KiB is 413; one over the token endpoint’s 16 KiB but under 64 KiB is read', async () => {
    const over = JSON.stringify({ name: 'x'.repeat(ADMIN_BODY_LIMIT) });
    for (const [method, path] of [
      ['POST', '/applications'],
      ['PATCH', `/applications/${client.clientId}`],
      ['POST', `/applications/${client.clientId}/customers`],
      ['POST', `/applications/${client.clientId}/rotate-secret`],
      ['POST', '/keys/rotate'],
    ] as const) {
      await expectRefusedWithoutChange(
        server,
        () => server.admin(method, path, over),
        413,
        'payload_too_large',
        /too large/,
      );
    }
    const under = JSON.stringify({ name: 'x'.repeat(ADMIN_BODY_LIMIT - 100) });
    await expectRefusedWithoutChange(
      server,
      () => server.admin('POST', '/applications', under),
      400,
      'invalid_request',
      /body\.name must NOT have more than 200 characters/,
    );
  });

  it('a body that is not JSON is 415', async () => {
    for (const [type, body] of [
      ['application/x-www-form-urlencoded', 'name=x'],
      ['application/xml', '<application name="x"/>'],
      [
        'multipart/form-data; boundary=x',
        '--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n--x--',
      ],
      ['application/octet-stream', 'name=x'],
    ] as const) {
      await expectRefusedWithoutChange(
        server,
        () => server.admin('POST', '/applications', body, undefined, { 'content-type': type }),
        415,
        'unsupported_media_type',
        /send the request body as application\/json/,
      );
    }
  });

  it('a body with no Content-Type is 415', async () => {
    await expectRefusedWithoutChange(
      server,
      () =>
        server.app.inject({
          method: 'POST',
          url: `${ADMIN}/applications`,
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
          payload: '{"name":"x"}',
        }),
      415,
      'unsupported_media_type',
      /application\/json/,
    );
  });

  it('a text/plain body is 415 naming the content type', async () => {
    await expectRefusedWithoutChange(
      server,
      () =>
        server.admin('POST', '/applications', '{"name":"x"}', undefined, { 'content-type': 'text/plain' }),
      415,
      'unsupported_media_type',
      /application\/json/,
    );
  });

  it('pagination out of range, a bad since, an unknown query field: 400', async () => {
    const cases: [string, RegExp][] = [
      ['/applications?limit=0', /querystring\.limit must be >= 1/],
      ['/applications?limit=1001', /querystring\.limit must be <= 1000/],
      [`/applications/${client.clientId}/customers?limit=100000`, /querystring\.limit must be <= 1000/],
      ['/audit?limit=-1', /querystring\.limit must be >= 1/],
      ['/audit?since=not-a-time', /since must be an ISO 8601 time, got 'not-a-time'/],
      ['/applications?page=2', /querystring has an unknown field 'page'/],
    ];
    for (const [path, message] of cases) {
      expectAdminError(await server.admin('GET', path), 400, 'invalid_request', message);
    }
  });

  it('an unknown admin path or method is 404 naming it', async () => {
    const cases: [AdminMethod, string, unknown?][] = [
      ['GET', '/no-such-thing'],
      ['GET', ''],
      ['DELETE', '/applications'],
      ['DELETE', '/keys'],
      ['PUT', `/applications/${client.clientId}`, { name: 'x' }],
      ['POST', '/keys', { now: true }],
      ['GET', '/keys/rotate'],
    ];
    for (const [method, path, body] of cases) {
      await expectRefusedWithoutChange(
        server,
        () => server.admin(method, path, body),
        404,
        'not_found',
        new RegExp(`no admin route for ${method} ${ADMIN}${path.replace(/[?]/g, '\\?')}$`),
      );
    }
  });

  it('never answers 5xx, whatever is thrown at it', async () => {
    const junk: unknown[] = [
      '{"name":"\\ud800"}',
      `{"name":"${'\\u0000'.repeat(10)}"}`,
      JSON.stringify({ name: 'x', token_classes: ['api', 'customer', 'api'] }),
      JSON.stringify({ name: 'x', api_token_ttl: 1e300 }),
      JSON.stringify({ name: 'x', api_token_ttl: -0.0 }),
      JSON.stringify({ name: { toString: 'x' } }),
      `{"name":"x","x":${'['.repeat(2000)}${']'.repeat(2000)}}`,
      '\u0000',
      '{"name":"x"}{"name":"y"}',
    ];
    const paths: [AdminMethod, string][] = [
      ['POST', '/applications'],
      ['PATCH', `/applications/${client.clientId}`],
      ['POST', `/applications/${client.clientId}/rotate-secret`],
      ['POST', `/applications/${client.clientId}/customers`],
      ['POST', '/keys/rotate'],
    ];
    for (const [method, path] of paths) {
      for (const body of junk) {
        const response = await server.admin(method, path, body);
        assert.ok(
          response.statusCode < 500,
          `${method} ${path} ${String(body).slice(0, 60)}: ${response.body}`,
        );
        assert.match(String(response.headers['content-type']), /^application\/json/);
        const answer = response.json();
        if (response.statusCode >= 400) assert.deepEqual(Object.keys(answer).sort(), ['error', 'message']);
      }
    }
    for (const query of [
      '?limit=1e3',
      '?limit=0x10',
      '?after=%ff',
      '?limit[]=1',
      '?since=%00',
      `?until=${'9'.repeat(50)}`,
    ]) {
      const response = await server.admin('GET', `/audit${query}`);
      assert.ok(response.statusCode < 500, `${query}: ${response.body}`);
    }
  });
});

describe('bad input on PostgreSQL', async () => {
  const skip = await skipWithoutPostgres();

  it('a NUL character in a name, an app_user_id or a filter is a 400, not a 500', { skip }, async () => {
    const postgres = freshPostgresSchema();
    const pgServer = await startAdminServer({ env: { DATABASE_URL: postgres.url } });
    try {
      const owner = await pgServer.createApplication();
      const writes: [AdminMethod, string, unknown][] = [
        ['POST', '/applications', { name: 'a\u0000b' }],
        ['PATCH', `/applications/${owner.clientId}`, { name: 'a\u0000b' }],
        ['POST', `/applications/${owner.clientId}/customers`, { app_user_id: 'user\u0000' }],
      ];
      for (const [method, path, body] of writes) {
        const response = await pgServer.admin(method, path, body);
        assert.equal(response.statusCode, 400, `${method} ${path}: ${response.body}`);
      }
      for (const query of [
        '/applications?after=%00',
        `/applications/${owner.clientId}/customers?after=%00`,
        '/audit?after=%00',
        '/audit?actor=%00',
        '/audit?action=%00',
        '/audit?target_id=a%00',
      ]) {
        const response = await pgServer.admin('GET', query);
        assert.ok(response.statusCode < 500, `${query}: ${response.body}`);
      }
    } finally {
      await pgServer.close();
      await postgres.drop();
    }
  });
});
