import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ADMIN, ADMIN_TOKEN } from '../../helpers/admin-server.js';
import {
  anyBody,
  authorization,
  badEscape,
  cleanAddress,
  contentType,
  deepJson,
  extraHeaders,
  formEncode,
  method,
  nastyText,
  remoteAddress,
  wellFormed,
} from './arbitraries.js';
import type { FuzzRequest, FuzzTarget } from './fuzz-target.js';
import { exchange, expectToken, type FuzzSuite, oauthForm, property } from './property.js';

// ------------------------------------------------------------------------------------------------
// The admin API
// ------------------------------------------------------------------------------------------------

/** Ids as the admin API sees them: the fixture's, random UUIDs, upper case, junk, escapes, too long. */
function adminId(target: FuzzTarget): fc.Arbitrary<string> {
  const { appA, appB, disabled, customers, disabledCustomer } = target.fixture;
  return fc.oneof(
    {
      weight: 5,
      arbitrary: fc.constantFrom(
        appA.clientId,
        appB.clientId,
        disabled.clientId,
        ...customers,
        disabledCustomer,
      ),
    },
    {
      weight: 3,
      arbitrary: fc.oneof(
        fc.uuid(),
        fc.constant(appA.clientId.toUpperCase()),
        fc.constantFrom(
          'x'.repeat(81),
          'null',
          'undefined',
          '0',
          '-1',
          '%00',
          '..',
          '.',
          '%2e%2e',
          '__proto__',
        ),
        badEscape,
        nastyText.map((text) => encodeURIComponent(wellFormed(text))),
      ),
    },
  );
}

function adminPath(target: FuzzTarget): fc.Arbitrary<string> {
  const id = adminId(target);
  return fc.oneof(
    fc.constantFrom(
      '/applications',
      '/keys',
      '/keys/rotate',
      '/audit',
      '/metrics',
      '',
      '/',
      '/nowhere',
      '/applications/',
      '//applications',
    ),
    id.map((x) => `/applications/${x}`),
    fc
      .tuple(id, fc.constantFrom('disable', 'enable', 'rotate-secret', 'customers', 'nothing'))
      .map(([x, op]) => `/applications/${x}/${op}`),
    id.map((x) => `/customers/${x}`),
    fc.tuple(id, fc.constantFrom('disable', 'enable', 'nothing')).map(([x, op]) => `/customers/${x}/${op}`),
    id.map((x) => `/keys/${x}/withdraw`),
  );
}

const adminQuery: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constant('') },
  {
    weight: 1,
    arbitrary: fc
      .array(
        fc.tuple(
          fc.oneof(
            fc.constantFrom('limit', 'after', 'action', 'actor', 'target_id', 'since', 'until'),
            nastyText,
          ),
          fc.oneof(
            fc.constantFrom(
              '1',
              '0',
              '1000',
              '1001',
              '-1',
              '1.5',
              '1e3',
              '',
              'application.create',
              '2026-01-01T00:00:00Z',
              'yesterday',
            ),
            nastyText,
            badEscape,
          ),
        ),
        { minLength: 1, maxLength: 4 },
      )
      .map(
        (pairs) =>
          `?${pairs.map(([k, v]) => `${formEncode(k)}=${v.startsWith('%') ? v : formEncode(v)}`).join('&')}`,
      ),
  },
);

const ADMIN_FIELDS = [
  'name',
  'token_classes',
  'api_token_ttl',
  'customer_token_ttl',
  'resource_server',
  'grace_seconds',
  'now',
  'app_user_id',
  'status',
  'client_secret',
  'client_id',
  '__proto__',
  'constructor',
];
const adminValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    'api',
    ['api'],
    ['customer'],
    ['api', 'customer'],
    [],
    ['api', 'api'],
    60,
    600,
    599,
    86400,
    86401,
    0,
    -1,
    1.5,
    1e21,
    null,
    true,
    false,
    '600',
    '',
    'x'.repeat(201),
    { prototype: { polluted: 1 } },
  ),
  fc.jsonValue({ maxDepth: 3 }),
  nastyText,
);

/** JSON bodies built from the admin API's field names (duplicates too), and everything else. */
const adminBody: fc.Arbitrary<Buffer | string | undefined> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .array(fc.tuple(fc.oneof(fc.constantFrom(...ADMIN_FIELDS), nastyText), adminValue), { maxLength: 4 })
      .map(
        (pairs) =>
          `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`,
      ),
  },
  { weight: 1, arbitrary: deepJson },
  { weight: 2, arbitrary: anyBody },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      'null',
      '[]',
      '"x"',
      '1',
      '{',
      '{"name":"x"',
      '{"name":"\u0000"}',
      `{"name":"${'a'.repeat(70_000)}"}`,
    ),
  },
);

/** A request to the admin API: the right token most of the time, anything else otherwise. */
function adminRequest(
  target: FuzzTarget,
  tokenArbitrary: fc.Arbitrary<string | undefined>,
): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      method,
      path: adminPath(target),
      query: adminQuery,
      authorization: tokenArbitrary,
      contentType: fc.oneof(
        { weight: 6, arbitrary: fc.constant<string | undefined>('application/json') },
        { weight: 2, arbitrary: contentType },
      ),
      body: adminBody,
      extra: extraHeaders,
      remoteAddress,
    })
    .map(({ method, path, query, authorization, contentType, body, extra, remoteAddress }) => {
      const headers: Record<string, string> = { ...extra };
      if (authorization !== undefined) headers.authorization = authorization;
      if (contentType !== undefined) headers['content-type'] = contentType;
      const withBody = method !== 'GET' && method !== 'HEAD';
      return {
        method,
        url: `${ADMIN}${path}${query}`,
        headers,
        body: withBody ? body : undefined,
        remoteAddress,
      };
    });
}

const VALID_ADMIN_AUTHORIZATION = new RegExp(`^Bearer +${ADMIN_TOKEN}\\s*$`, 'i');

export const ADMIN_SUITE: FuzzSuite = {
  name: 'admin',
  // ES256 keys are made in milliseconds: the fuzzer rotates keys often.
  env: { SIGNING_ALG: 'ES256' },
  properties: [
    property(
      'without the admin token: 401 for everything (429 past the throttle), and nothing changes',
      300,
      (target) =>
        fc.asyncProperty(
          adminRequest(
            target,
            authorization(target.fixture.appA).filter(
              (value) => !VALID_ADMIN_AUTHORIZATION.test(value ?? ''),
            ),
          ),
          async (request) => {
            const before = await target.storeState();
            const response = await exchange(target, request);
            // A path Fastify cannot decode is refused before authentication (a known bug, reported).
            if (target.knownBug(request, response)) return;
            // An address that sent wrong tokens before may be throttled: 429 with Retry-After.
            const throttled = response.statusCode === 429;
            if (request.method !== 'HEAD') {
              assert.ok(
                [401, 429].includes(response.statusCode),
                `${request.method} ${request.url} → ${response.statusCode} ${response.body}`,
              );
              assert.equal(JSON.parse(response.body).error, throttled ? 'too_many_requests' : 'unauthorized');
            }
            if (throttled) assert.match(String(response.headers['retry-after']), /^\d+$/);
            else assert.equal(response.headers['www-authenticate'], 'Bearer realm="lean-auth-admin"');
            assert.deepEqual(
              await target.storeState(),
              before,
              'an unauthenticated request changed the store',
            );
          },
        ),
    ),
    property(
      'authenticated admin requests: never a 5xx, errors in the admin shape, secrets only where created',
      500,
      (target) =>
        fc.asyncProperty(
          adminRequest(
            target,
            fc.oneof(
              { weight: 9, arbitrary: fc.constant<string | undefined>(`Bearer ${ADMIN_TOKEN}`) },
              { weight: 1, arbitrary: authorization(target.fixture.appA) },
            ),
          ),
          async (request) => {
            const response = await exchange(target, request);
            if (response.statusCode < 300 && response.body.includes('client_secret')) {
              // Only a new application and a rotation show a secret (once).
              assert.equal(request.method, 'POST', response.body);
              assert.match(request.url.split('?', 1)[0] ?? '', /\/applications(\/[^/]+\/rotate-secret)?$/);
            }
            if (response.statusCode < 300) assert.equal(response.headers['cache-control'], 'no-store');
            if (/\/keys\/(rotate|[^/]+\/withdraw)/.test(request.url) && response.statusCode < 300)
              await target.collectKeyMaterial();
          },
        ),
    ),
    property(
      'accepted admin writes hold: new applications, secrets and customers work at once and round-trip',
      150,
      (target) =>
        fc.asyncProperty(
          fc.record({
            name: fc.oneof(nastyText, fc.string({ minLength: 1, maxLength: 200 })),
            classes: fc.subarray(['api', 'customer'], { minLength: 1 }),
            rotate: fc.boolean(),
            grace: fc.option(fc.integer({ min: 0, max: 604_800 }), { nil: undefined }),
            appUserId: fc.oneof(nastyText, fc.string({ minLength: 1, maxLength: 255 })),
          }),
          async (c) => {
            const admin = (verb: 'GET' | 'POST', path: string, body?: unknown) =>
              exchange(target, {
                method: verb,
                url: `${ADMIN}${path}`,
                headers: {
                  authorization: `Bearer ${ADMIN_TOKEN}`,
                  ...(body !== undefined && { 'content-type': 'application/json' }),
                },
                body: body === undefined ? undefined : JSON.stringify(body),
                remoteAddress: cleanAddress(),
              });
            // Text with a lone surrogate is accepted but stored mangled (U+FFFD per byte): a known bug,
            // see test/http/admin/lone-surrogates.test.ts. Such text is not compared.
            const sameText = (actual: string, expected: string, what: string) => {
              if (wellFormed(expected) === expected) assert.equal(actual, expected, what);
            };
            const created = await admin('POST', '/applications', { name: c.name, token_classes: c.classes });
            if (created.statusCode !== 201) {
              assert.equal(created.statusCode, 400, created.body);
              return;
            }
            const app = JSON.parse(created.body) as {
              client_id: string;
              client_secret: string;
              name: string;
            };
            // The server trims names.
            sameText(app.name, c.name.trim(), 'the answer holds another name');
            let secret = app.client_secret;
            if (c.rotate) {
              const rotated = await admin(
                'POST',
                `/applications/${app.client_id}/rotate-secret`,
                c.grace === undefined ? {} : { grace_seconds: c.grace },
              );
              assert.equal(rotated.statusCode, 200, rotated.body);
              const previous = secret;
              secret = (JSON.parse(rotated.body) as { client_secret: string }).client_secret;
              assert.notEqual(secret, previous);
            }
            const shown = await admin('GET', `/applications/${app.client_id}`);
            assert.equal(shown.statusCode, 200, shown.body);
            sameText(
              JSON.parse(shown.body).name,
              c.name.trim(),
              'the stored name differs from the accepted one',
            );
            assert.ok(!shown.body.includes(secret));
            const token = (scope: string) =>
              exchange(
                target,
                oauthForm(
                  '/oauth2/token',
                  { clientId: app.client_id, clientSecret: secret },
                  false,
                  [
                    ['grant_type', 'client_credentials'],
                    ['scope', scope],
                  ],
                  cleanAddress(),
                ),
              );
            if (c.classes.includes('api')) await expectToken(target, await token('api'));
            const customer = await admin('POST', `/applications/${app.client_id}/customers`, {
              app_user_id: c.appUserId,
            });
            if (customer.statusCode !== 201) {
              assert.equal(customer.statusCode, 400, customer.body);
              return;
            }
            const { customer_id: customerId, app_user_id: appUserId } = JSON.parse(customer.body) as Record<
              string,
              string
            >;
            sameText(String(appUserId), c.appUserId, 'the answer holds another app_user_id');
            const shownCustomer = await admin('GET', `/customers/${customerId}`);
            assert.equal(shownCustomer.statusCode, 200, shownCustomer.body);
            sameText(
              JSON.parse(shownCustomer.body).app_user_id,
              c.appUserId,
              'the stored app_user_id differs',
            );
            const customerToken = await token(`customer.${customerId}`);
            if (c.classes.includes('customer')) await expectToken(target, customerToken);
            else assert.equal(JSON.parse(customerToken.body).error, 'invalid_scope');
          },
        ),
    ),
  ],
};
