import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  type AdminTestServer,
  expectAdminError,
  expectRefusedWithoutChange,
  startAdminServer,
} from '../../helpers/admin-server.js';
import { expectOAuthError } from '../../helpers/test-server.js';

const PUBLIC_JWK = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
const JWKS = { keys: [{ ...PUBLIC_JWK, kid: 'k1', use: 'sig' }] };

let server: AdminTestServer;

before(async () => {
  server = await startAdminServer();
});
after(() => server.close());

describe('token_endpoint_auth_method on the admin API', () => {
  it('is null by default: either secret method works, as before', async () => {
    const client = await server.createApplication();
    const shown = (await server.admin('GET', `/applications/${client.clientId}`)).json();
    assert.equal(shown.token_endpoint_auth_method, null);
    assert.equal(shown.jwks, null);
    assert.equal(shown.jwks_uri, null);
    assert.equal((await server.requestToken(client, 'api', 'client_secret_post')).statusCode, 200);
    assert.equal((await server.requestToken(client, 'api', 'client_secret_basic')).statusCode, 200);
  });

  it('client_secret_basic only: the other secret method is refused, naming the expected one', async () => {
    const client = await server.createApplication({ token_endpoint_auth_method: 'client_secret_basic' });
    assert.equal((await server.requestToken(client, 'api', 'client_secret_basic')).statusCode, 200);
    expectOAuthError(
      await server.requestToken(client, 'api', 'client_secret_post'),
      401,
      'invalid_client',
      /^this application authenticates with client_secret_basic, not client_secret_post$/,
    );
  });

  it('client_secret_post only: Basic is refused with a Basic challenge', async () => {
    const client = await server.createApplication({ token_endpoint_auth_method: 'client_secret_post' });
    const refused = await server.requestToken(client, 'api', 'client_secret_basic');
    expectOAuthError(refused, 401, 'invalid_client', /authenticates with client_secret_post/);
    assert.match(String(refused.headers['www-authenticate']), /^Basic/);
  });

  it('a private_key_jwt application cannot use its secret, and learns why only with the right secret', async () => {
    const client = await server.createApplication({
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: JWKS,
    });
    expectOAuthError(
      await server.requestToken(client, 'api'),
      401,
      'invalid_client',
      /authenticates with private_key_jwt, not client_secret_post/,
    );
    // A wrong secret gets the answer an unknown client_id gets: nothing about the method.
    const wrong = await server.requestToken({ ...client, clientSecret: 'wrong' }, 'api');
    const unknown = await server.requestToken(
      { clientId: '00000000-0000-4000-8000-000000000000', clientSecret: 'wrong' },
      'api',
    );
    assert.equal(wrong.statusCode, 401);
    assert.deepEqual(wrong.json(), unknown.json());
    assert.doesNotMatch(wrong.body, /private_key_jwt/);
  });

  it('shows and stores the method and the public keys', async () => {
    const response = await server.admin('POST', '/applications', {
      name: 'keyed',
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: JWKS,
    });
    assert.equal(response.statusCode, 201, response.body);
    const { client_id: clientId } = response.json();
    const shown = (await server.admin('GET', `/applications/${clientId}`)).json();
    assert.equal(shown.token_endpoint_auth_method, 'private_key_jwt');
    assert.deepEqual(shown.jwks, JWKS);
  });

  it('PATCH back to null drops the keys; PATCH to a secret method keeps the rest', async () => {
    const client = await server.createApplication({
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: JWKS,
    });
    const back = await server.admin('PATCH', `/applications/${client.clientId}`, {
      token_endpoint_auth_method: null,
    });
    assert.equal(back.statusCode, 200, back.body);
    assert.equal(back.json().token_endpoint_auth_method, null);
    assert.equal(back.json().jwks, null);
    assert.equal((await server.requestToken(client, 'api')).statusCode, 200);
    const basic = await server.admin('PATCH', `/applications/${client.clientId}`, {
      token_endpoint_auth_method: 'client_secret_basic',
    });
    assert.equal(basic.json().token_endpoint_auth_method, 'client_secret_basic');
    assert.equal(basic.json().name, 'test app');
  });

  const refusals: [string, Record<string, unknown>, RegExp][] = [
    ['an unknown method', { token_endpoint_auth_method: 'none' }, /token_endpoint_auth_method/],
    ['private_key_jwt without keys', { token_endpoint_auth_method: 'private_key_jwt' }, /needs .*jwks/],
    ['jwks with a secret method', { jwks: JWKS }, /jwks and jwks_uri are only for .*private_key_jwt/],
    [
      'a private key in the jwks',
      {
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: {
          keys: [generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' })],
        },
      },
      /private key material \(d\)/,
    ],
    [
      'an HMAC key',
      { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } },
      /kty must be RSA, EC or OKP/,
    ],
    [
      'a broken public key',
      {
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'AA' }] },
      },
      /not a valid EC public key/,
    ],
    ['no keys', { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [] } }, /keys|jwks/],
    [
      'both jwks and jwks_uri',
      { token_endpoint_auth_method: 'private_key_jwt', jwks: JWKS, jwks_uri: 'https://example.com/jwks' },
      /jwks or jwks_uri, not both/,
    ],
    [
      'a jwks_uri that is not an http(s) URL',
      { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'file:///etc/passwd' },
      /jwks_uri must be an absolute https URL/,
    ],
    [
      'a jwks_uri with credentials',
      { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://u:p@example.com/jwks' },
      /no credentials/,
    ],
    [
      'a jwks_uri with a secret method',
      { jwks_uri: 'https://example.com/jwks' },
      /only for .*private_key_jwt/,
    ],
  ];
  for (const [what, body, message] of refusals) {
    it(`refuses ${what} with 400, changing nothing`, async () => {
      await expectRefusedWithoutChange(
        server,
        () => server.admin('POST', '/applications', { name: 'refused', ...body }),
        400,
        'invalid_request',
        message,
      );
    });
  }

  it('stores a jwks_uri for private_key_jwt', async () => {
    const response = await server.admin('POST', '/applications', {
      name: 'remote keys',
      token_endpoint_auth_method: 'private_key_jwt',
      jwks_uri: 'https://keys.example.com/jwks.json',
    });
    assert.equal(response.statusCode, 201, response.body);
    assert.equal(response.json().jwks_uri, 'https://keys.example.com/jwks.json');
    assert.equal(response.json().jwks, null);
  });

  it('refuses a PATCH that leaves private_key_jwt without keys', async () => {
    const client = await server.createApplication();
    expectAdminError(
      await server.admin('PATCH', `/applications/${client.clientId}`, {
        token_endpoint_auth_method: 'private_key_jwt',
      }),
      400,
      'invalid_request',
      /needs .*jwks/,
    );
  });
});
