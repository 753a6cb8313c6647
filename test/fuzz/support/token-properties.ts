import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { AUTHENTICATION_FAILED } from '../../../src/oauth/client-authentication.js';
import type { ClientCredentials } from '../../helpers/test-server.js';
import { anyRequest, cleanAddress, mutate, nastyText, remoteAddress } from './arbitraries.js';
import type { FuzzRequest, FuzzTarget } from './fuzz-target.js';
import {
  basic,
  carries,
  exchange,
  expectToken,
  FORM,
  type FuzzSuite,
  form,
  property,
  unknownParameters,
} from './property.js';

// ------------------------------------------------------------------------------------------------
// The token endpoint
// ------------------------------------------------------------------------------------------------

type SecretKind =
  | 'right'
  | 'random'
  | 'mutated'
  | 'other-app'
  | 'case-flipped'
  | 'prefix'
  | 'suffixed'
  | 'padded';
const WRONG_SECRETS: readonly SecretKind[] = [
  'random',
  'mutated',
  'other-app',
  'case-flipped',
  'prefix',
  'suffixed',
  'padded',
];

function presentedSecret(
  kind: SecretKind,
  own: string,
  other: string,
  random: string,
  position: number,
): string {
  switch (kind) {
    case 'right':
      return own;
    case 'random':
      return random === own || random === '' ? `${random}x` : random;
    case 'mutated':
      return mutate(own, position, 'Q');
    case 'other-app':
      return other;
    case 'case-flipped':
      return own.replace(/[a-zA-Z]/, (c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()));
    case 'prefix':
      return own.slice(0, 1 + (position % (own.length - 1)));
    case 'suffixed':
      return `${own}=`;
    case 'padded':
      return ` ${own}`;
  }
}

const tokenCase = fc.record({
  client: fc.constantFrom('A', 'B', 'disabled', 'unknown'),
  secret: fc.oneof(
    { weight: 3, arbitrary: fc.constant<SecretKind>('right') },
    { weight: 4, arbitrary: fc.constantFrom(...WRONG_SECRETS) },
  ),
  randomSecret: nastyText,
  position: fc.nat(),
  auth: fc.constantFrom('post', 'post', 'basic', 'basic', 'basic+body-id', 'both', 'none'),
  grant: fc.oneof(
    { weight: 8, arbitrary: fc.constant<string | undefined>('client_credentials') },
    {
      weight: 2,
      arbitrary: fc.oneof(
        fc.constantFrom(
          undefined,
          'CLIENT_CREDENTIALS',
          'password',
          'client_credentials ',
          'authorization_code',
          'refresh_token',
        ),
        nastyText,
      ),
    },
  ),
  scope: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('api', 'customer:0', 'customer:1') },
    {
      weight: 3,
      arbitrary: fc.oneof(
        fc.constantFrom(
          undefined,
          'customer:disabled',
          'customer:foreign',
          'customer:random',
          'customer:upper',
          'customer.',
          'api api',
          'api customer',
          'API',
          'customer',
          'openid',
        ),
        nastyText,
      ),
    },
  ),
  extras: unknownParameters,
  duplicate: fc.oneof(
    { weight: 8, arbitrary: fc.constant<string | undefined>(undefined) },
    { weight: 1, arbitrary: fc.constantFrom('grant_type', 'scope', 'client_id', 'client_secret') },
  ),
  reversed: fc.boolean(),
  contentType: fc.oneof(
    {
      weight: 8,
      arbitrary: fc.constantFrom<string | undefined>(
        FORM,
        `${FORM}; charset=UTF-8`,
        'Application/X-WWW-Form-Urlencoded',
      ),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom<string | undefined>(
        undefined,
        'application/json',
        'text/plain',
        `${FORM}; charset=latin1`,
      ),
    },
  ),
  query: fc.oneof(
    { weight: 9, arbitrary: fc.constant('') },
    { weight: 1, arbitrary: fc.constantFrom('?', '?scope=api', '?a') },
  ),
  address: remoteAddress,
});
type TokenCase = typeof tokenCase extends fc.Arbitrary<infer T> ? T : never;

interface BuiltTokenRequest {
  readonly request: FuzzRequest;
  readonly client: ClientCredentials | undefined;
  readonly rightSecret: boolean;
  readonly scope: string | undefined;
  /** Whether everything but the credentials and the scope is right: authentication decides. */
  readonly shapeOk: boolean;
  /** Whether everything about the request is right, so that a token must be issued. */
  readonly mustSucceed: boolean;
}

function buildTokenRequest(target: FuzzTarget, c: TokenCase, unknownId = randomUUID()): BuiltTokenRequest {
  const { appA, appB, disabled, customers, disabledCustomer, foreignCustomer } = target.fixture;
  const client = { A: appA, B: appB, disabled, unknown: undefined }[c.client];
  const clientId = client?.clientId ?? unknownId;
  const other = client === appB ? appA.clientSecret : appB.clientSecret;
  const secret = presentedSecret(c.secret, client?.clientSecret ?? 'n/a', other, c.randomSecret, c.position);
  const rightSecret = client !== undefined && secret === client.clientSecret;
  const scopes: Record<string, string> = {
    'customer:0': `customer.${customers[0]}`,
    'customer:1': `customer.${customers[1]}`,
    'customer:disabled': `customer.${disabledCustomer}`,
    'customer:foreign': `customer.${foreignCustomer}`,
    'customer:random': `customer.${randomUUID()}`,
    'customer:upper': `customer.${customers[0]?.toUpperCase()}`,
  };
  const scope =
    c.scope === undefined ? undefined : Object.hasOwn(scopes, c.scope) ? scopes[c.scope] : c.scope;

  const pairs: [string, string][] = [];
  if (c.grant !== undefined) pairs.push(['grant_type', c.grant]);
  if (scope !== undefined) pairs.push(['scope', scope]);
  const headers: Record<string, string> = {};
  if (c.contentType !== undefined) headers['content-type'] = c.contentType;
  if (c.auth === 'post' || c.auth === 'both') pairs.push(['client_id', clientId], ['client_secret', secret]);
  if (c.auth === 'basic' || c.auth === 'basic+body-id' || c.auth === 'both')
    headers.authorization = basic(clientId, secret);
  if (c.auth === 'basic+body-id') pairs.push(['client_id', clientId]);
  for (const [name, value] of c.extras) pairs.push([name, value]);
  if (c.duplicate !== undefined) {
    const existing = pairs.find(([name]) => name === c.duplicate);
    if (existing) pairs.push([existing[0], existing[1]]);
  }
  if (c.reversed) pairs.reverse();

  // UUIDs are case-insensitive (RFC 9562): the server takes an upper-case customer id and answers in lower case.
  const normalizedScope = scope?.startsWith('customer.') ? scope.toLowerCase() : scope;
  const scopeAllowed =
    client === appA
      ? normalizedScope === 'api' ||
        normalizedScope === `customer.${customers[0]}` ||
        normalizedScope === `customer.${customers[1]}`
      : client === appB && scope === 'api';
  const duplicated = c.duplicate !== undefined && pairs.filter(([name]) => name === c.duplicate).length > 1;
  const shapeOk =
    c.auth !== 'both' &&
    c.auth !== 'none' &&
    c.grant === 'client_credentials' &&
    !duplicated &&
    c.contentType !== undefined &&
    !/json|text|latin1/.test(c.contentType) &&
    // A bare '?' carries no parameter: the URL holds nothing to refuse.
    (c.query === '' || c.query === '?');
  const mustSucceed = shapeOk && rightSecret && client !== disabled && scopeAllowed;
  return {
    // The right credentials come from an address that never failed: the throttle must not interfere.
    request: {
      method: 'POST',
      url: `/oauth2/token${c.query}`,
      headers,
      body: form(pairs),
      remoteAddress: rightSecret ? cleanAddress() : c.address,
    },
    client,
    rightSecret,
    scope: normalizedScope,
    shapeOk,
    mustSucceed,
  };
}

const TOKEN_PATHS = [
  '/oauth2/token',
  '/oauth2/token',
  '/oauth2/token',
  '/oauth2/introspect',
  '/oauth2/revoke',
  '/',
  '/nowhere',
  '/.well-known/jwks.json',
  '/healthz',
];

export const TOKEN_SUITE: FuzzSuite = {
  name: 'token',
  env: {},
  properties: [
    property(
      'arbitrary requests to the token endpoint: never a 5xx, always a well-formed error',
      600,
      (target) =>
        fc.asyncProperty(anyRequest(TOKEN_PATHS, target.fixture.appA), async (request) => {
          const response = await exchange(target, request);
          if (response.statusCode === 200 && request.url.startsWith('/oauth2/token')) {
            // Only possible with appA's right secret, which the fuzzer sometimes sends in HTTP Basic.
            const { claims } = await expectToken(target, response);
            assert.equal(claims.client_id, target.fixture.appA.clientId);
            assert.ok(
              carries(request, target.fixture.appA.clientSecret),
              'a token for a request without the secret',
            );
          }
        }),
    ),
    property(
      'near-valid token requests: a token exactly when everything is right, never for a wrong secret',
      600,
      (target) =>
        fc.asyncProperty(tokenCase, async (c) => {
          const built = buildTokenRequest(target, c);
          const response = await exchange(target, built.request);
          if (response.statusCode === 200) {
            assert.ok(built.rightSecret, `a token for a wrong secret: ${response.body}`);
            const { body, claims } = await expectToken(target, response);
            assert.equal(claims.client_id, built.client?.clientId);
            assert.equal(body.scope, built.scope);
          }
          assert.equal(
            response.statusCode === 200,
            built.mustSucceed,
            `expected ${built.mustSucceed ? 'a token' : 'a refusal'}: ${response.statusCode} ${response.body}`,
          );
          if (built.shapeOk && !built.rightSecret) {
            // One answer for an unknown client_id and a wrong secret (or a throttled address).
            assert.ok([401, 429].includes(response.statusCode), response.body);
            if (response.statusCode === 401)
              assert.equal(JSON.parse(response.body).error_description, AUTHENTICATION_FAILED);
          }
          if (built.shapeOk && built.rightSecret && c.client === 'disabled') {
            assert.equal(response.statusCode, 401, response.body);
            assert.match(JSON.parse(response.body).error_description, /disabled/);
          }
        }),
    ),
    property('an unknown client_id and a known one with a wrong secret get the same answer', 300, (target) =>
      fc.asyncProperty(
        tokenCase.filter((c) => c.client !== 'unknown' && c.secret !== 'right'),
        remoteAddress,
        async (c, otherAddress) => {
          const unknownId = randomUUID();
          const known = buildTokenRequest(target, c, unknownId);
          const unknown = buildTokenRequest(
            target,
            { ...c, client: 'unknown', address: otherAddress },
            unknownId,
          );
          const knownAnswer = await exchange(target, known.request);
          const unknownAnswer = await exchange(target, unknown.request);
          assert.notEqual(knownAnswer.statusCode, 200, knownAnswer.body);
          // An address that failed before may be throttled: that says nothing about the client.
          if (knownAnswer.statusCode === 429 || unknownAnswer.statusCode === 429) return;
          assert.equal(
            knownAnswer.statusCode,
            unknownAnswer.statusCode,
            `${knownAnswer.body} vs ${unknownAnswer.body}`,
          );
          assert.equal(knownAnswer.body, unknownAnswer.body);
          assert.equal(knownAnswer.headers['www-authenticate'], unknownAnswer.headers['www-authenticate']);
        },
      ),
    ),
    property('valid token requests with noise always get a token that verifies', 300, (target) =>
      fc.asyncProperty(
        fc.record({
          scope: fc.constantFrom('api', 'customer:0', 'customer:1'),
          auth: fc.constantFrom('post', 'basic', 'basic+body-id'),
          extras: unknownParameters,
          reversed: fc.boolean(),
          contentType: fc.constantFrom(
            FORM,
            `${FORM}; charset=utf-8`,
            `${FORM};charset="UTF-8"`,
            'APPLICATION/X-WWW-FORM-URLENCODED',
          ),
        }),
        async (v) => {
          const c: TokenCase = {
            ...v,
            client: 'A',
            secret: 'right',
            randomSecret: '',
            position: 0,
            grant: 'client_credentials',
            duplicate: undefined,
            query: '',
            address: '127.0.0.1',
          };
          const built = buildTokenRequest(target, c);
          assert.ok(built.mustSucceed);
          const response = await exchange(target, built.request);
          const { body, claims } = await expectToken(target, response);
          assert.equal(claims.client_id, target.fixture.appA.clientId);
          assert.equal(claims.sub, target.fixture.appA.clientId);
          assert.equal(body.scope, built.scope);
          assert.equal(claims.scope, built.scope);
          if (built.scope?.startsWith('customer.'))
            assert.equal(claims.customer_id, built.scope.slice('customer.'.length));
          else assert.equal(claims.customer_id, undefined);
        },
      ),
    ),
  ],
};
