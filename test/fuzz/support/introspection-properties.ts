import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { ClientCredentials } from '../../helpers/test-server.js';
import { anyRequest, cleanAddress, mutate, nastyText, remoteAddress } from './arbitraries.js';
import type { FuzzTarget } from './fuzz-target.js';
import { exchange, expectToken, type FuzzSuite, oauthForm, property, unknownParameters } from './property.js';

// ------------------------------------------------------------------------------------------------
// Introspection and revocation
// ------------------------------------------------------------------------------------------------

type TokenTransform =
  | 'exact'
  | 'header'
  | 'payload'
  | 'signature'
  | 'unsigned'
  | 'alg-none'
  | 'extra-segment'
  | 'padded'
  | 'nul'
  | 'random'
  | 'empty'
  | 'huge'
  | 'json';
const TRANSFORMS: readonly TokenTransform[] = [
  'exact',
  'header',
  'payload',
  'signature',
  'unsigned',
  'alg-none',
  'extra-segment',
  'padded',
  'nul',
  'random',
  'empty',
  'huge',
  'json',
];

function transformToken(token: string, transform: TokenTransform, position: number, random: string): string {
  const [header = '', payload = '', signature = ''] = token.split('.');
  const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  switch (transform) {
    case 'exact':
      return token;
    case 'header':
      return [mutate(header, position, 'Q'), payload, signature].join('.');
    case 'payload':
      return [header, mutate(payload, position, 'Q'), signature].join('.');
    case 'signature':
      return [header, payload, mutate(signature, position, 'Q')].join('.');
    case 'unsigned':
      return `${header}.${payload}.`;
    case 'alg-none': {
      const decoded = JSON.parse(Buffer.from(header, 'base64url').toString()) as Record<string, unknown>;
      return `${b64url({ ...decoded, alg: 'none' })}.${payload}.`;
    }
    case 'extra-segment':
      return `${token}.${signature}`;
    case 'padded':
      return ` ${token} `;
    case 'nul':
      return `${token}\0`;
    case 'random':
      return random === '' ? 'x' : random;
    case 'empty':
      return '';
    case 'huge':
      return `${token}${'A'.repeat(12_000)}`;
    case 'json':
      return JSON.stringify({ access_token: token });
  }
}

const callerCase = fc.constantFrom('A', 'A', 'B', 'A-wrong', 'unknown', 'disabled');
const tokenBase = fc.constantFrom('appA', 'appACustomer', 'appB', 'revoked');

function caller(target: FuzzTarget, which: string): { credentials: ClientCredentials; good: boolean } {
  const { appA, appB, disabled } = target.fixture;
  switch (which) {
    case 'A':
      return { credentials: appA, good: true };
    case 'B':
      return { credentials: appB, good: true };
    case 'A-wrong':
      return { credentials: { clientId: appA.clientId, clientSecret: `${appA.clientSecret}x` }, good: false };
    case 'disabled':
      return { credentials: disabled, good: false };
    default:
      return { credentials: { clientId: randomUUID(), clientSecret: appA.clientSecret }, good: false };
  }
}

/** Whether the owner sees `token` as active (a fresh address, the owner's right credentials). */
async function activeForOwner(target: FuzzTarget, owner: ClientCredentials, token: string): Promise<boolean> {
  const response = await exchange(
    target,
    oauthForm('/oauth2/introspect', owner, false, [['token', token]], cleanAddress()),
  );
  assert.equal(response.statusCode, 200, response.body);
  return (JSON.parse(response.body) as { active: boolean }).active;
}

/** Revocation: fresh tokens each run, so that what one run revokes does not decide the next. */
const revocationProperty = property(
  'revocation: only the owner revokes, only an intact token, and a refusal changes nothing',
  300,
  (target) =>
    fc.asyncProperty(
      fc.record({
        caller: callerCase,
        owner: fc.constantFrom('A', 'B'),
        transform: fc.constantFrom(...TRANSFORMS),
        position: fc.nat(),
        random: nastyText,
        useBasic: fc.boolean(),
        extras: unknownParameters,
        address: remoteAddress,
      }),
      async (c) => {
        const { fixture } = target;
        const owner = c.owner === 'A' ? fixture.appA : fixture.appB;
        const issued = await exchange(
          target,
          oauthForm(
            '/oauth2/token',
            owner,
            false,
            [
              ['grant_type', 'client_credentials'],
              ['scope', 'api'],
            ],
            cleanAddress(),
          ),
        );
        const original = String((await expectToken(target, issued)).body.access_token);
        const who = caller(target, c.caller);
        const token = transformToken(original, c.transform, c.position, c.random);
        const request = oauthForm(
          '/oauth2/revoke',
          who.credentials,
          c.useBasic,
          [['token', token], ...c.extras],
          who.good ? cleanAddress() : c.address,
        );
        const response = await exchange(target, request);
        const revoked = !(await activeForOwner(target, owner, original));
        if (!who.good) {
          assert.ok([401, 429].includes(response.statusCode), `${response.statusCode} ${response.body}`);
          assert.equal(revoked, false, 'a caller with wrong credentials revoked a token');
          return;
        }
        if (c.transform === 'empty') {
          assert.equal(response.statusCode, 400, response.body);
          assert.equal(revoked, false);
          return;
        }
        if (c.transform !== 'exact') {
          assert.equal(response.statusCode, 200, response.body);
          assert.equal(response.body, '');
          assert.equal(revoked, false, `a ${c.transform} token revoked the intact one`);
          return;
        }
        if (who.credentials === owner) {
          assert.equal(response.statusCode, 200, response.body);
          assert.equal(response.body, '');
          assert.equal(revoked, true, 'the owner revoked its token, yet it is still active');
        } else {
          assert.equal(response.statusCode, 400, response.body);
          assert.equal(JSON.parse(response.body).error, 'unauthorized_client');
          assert.equal(revoked, false, "another application revoked the owner's token");
        }
      },
    ),
);
export const INTROSPECTION_SUITE: FuzzSuite = {
  name: 'introspection',
  env: {},
  properties: [
    property(
      'arbitrary requests to introspection and revocation: never a 5xx, always a well-formed error',
      500,
      (target) =>
        fc.asyncProperty(
          anyRequest(['/oauth2/introspect', '/oauth2/revoke'], target.fixture.appA),
          async (request) => {
            const response = await exchange(target, request);
            if (response.statusCode === 200 && request.url.startsWith('/oauth2/introspect')) {
              // The fuzzer sends no real token: whatever it sent is not active.
              assert.deepEqual(JSON.parse(response.body), { active: false });
            }
            if (response.statusCode === 200 && request.url.startsWith('/oauth2/revoke'))
              assert.equal(response.body, '');
          },
        ),
    ),
    property(
      'introspection: active exactly for an intact, unrevoked token the caller may see',
      500,
      (target) =>
        fc.asyncProperty(
          fc.record({
            caller: callerCase,
            base: tokenBase,
            transform: fc.constantFrom(...TRANSFORMS),
            position: fc.nat(),
            random: nastyText,
            useBasic: fc.boolean(),
            hint: fc.option(fc.constantFrom('access_token', 'refresh_token', 'bogus'), { nil: undefined }),
            extras: unknownParameters,
            address: remoteAddress,
          }),
          async (c) => {
            const { fixture } = target;
            const who = caller(target, c.caller);
            const original = c.base === 'revoked' ? fixture.revokedToken : fixture.tokens[c.base as 'appA'];
            const token = transformToken(original, c.transform, c.position, c.random);
            const parameters: [string, string][] = [['token', token], ...c.extras];
            if (c.hint) parameters.push(['token_type_hint', c.hint]);
            const request = oauthForm(
              '/oauth2/introspect',
              who.credentials,
              c.useBasic,
              parameters,
              who.good ? cleanAddress() : c.address,
            );
            const response = await exchange(target, request);
            assert.ok(!response.body.includes(original), 'the token is echoed');
            if (!who.good) {
              assert.ok([401, 429].includes(response.statusCode), `${response.statusCode} ${response.body}`);
              return;
            }
            if (c.transform === 'empty') {
              assert.equal(response.statusCode, 400, response.body);
              assert.equal(JSON.parse(response.body).error, 'invalid_request');
              return;
            }
            assert.equal(response.statusCode, 200, response.body);
            const body = JSON.parse(response.body) as Record<string, unknown>;
            const owner = c.base === 'appB' ? fixture.appB : fixture.appA;
            // An application sees its own tokens; a resource server (appB) sees every application's.
            const maySee = owner === who.credentials || who.credentials === fixture.appB;
            const expected = c.transform === 'exact' && c.base !== 'revoked' && maySee;
            if (!expected) {
              assert.deepEqual(body, { active: false });
              return;
            }
            assert.equal(body.active, true);
            assert.equal(body.client_id, owner.clientId);
            assert.equal(body.token_type, 'bearer');
            assert.equal(body.scope, c.base === 'appACustomer' ? `customer.${fixture.customers[0]}` : 'api');
            if (c.base === 'appACustomer') assert.equal(body.customer_id, fixture.customers[0]);
          },
        ),
    ),
    revocationProperty,
  ],
};
