import assert from 'node:assert/strict';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Application } from '../../../src/domain/application.js';
import { selfSigned } from '../../helpers/client-certificates.js';
import { FORM_HEADERS, startTestServer, type TestServer, tempDir } from '../../helpers/test-server.js';

type Fields = readonly (readonly [string, string])[];

// The "Client authentication" fieldset of the dashboard's application forms, through app.inject():
// every method set on create and on edit, and every refusal shown next to its field with nothing saved.
describe('dashboard: client authentication of an application', () => {
  let server: TestServer;
  const temp = tempDir();
  let session: { cookie: string; csrf: string };
  let publicJwk: JWK;
  let privateJwk: JWK;
  let certificateJwk: JWK;

  before(async () => {
    server = await startTestServer();
    await server.services.operators.create(
      { email: 'a@example.com', role: 'admin', password: 'right password 1' },
      't',
    );
    await server.services.operators.create(
      { email: 'v@example.com', role: 'viewer', password: 'right password 1' },
      't',
    );
    session = await signIn('a@example.com');
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    publicJwk = { ...(await exportJWK(publicKey)), kid: 'k1' };
    privateJwk = await exportJWK(privateKey);
    const issued = selfSigned(temp.dir, 'client', '/CN=self-signed client');
    const certificate = new X509Certificate(issued.cert);
    certificateJwk = {
      ...(createPublicKey(issued.cert).export({ format: 'jwk' }) as JWK),
      x5c: [certificate.raw.toString('base64')],
    };
  });
  after(async () => {
    await server.close();
    temp.remove();
  });

  async function signIn(email: string): Promise<{ cookie: string; csrf: string }> {
    const response = await server.app.inject({
      method: 'POST',
      url: '/dashboard/sign-in',
      headers: FORM_HEADERS,
      payload: new URLSearchParams({ email, password: 'right password 1' }).toString(),
    });
    const cookie = String(response.headers['set-cookie']).split(';')[0] ?? '';
    const page = await server.app.inject({ url: '/dashboard/overview', headers: { cookie } });
    return { cookie, csrf: /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '' };
  }

  /** Posts the settings form: a name and the api class, then `fields` (a name may come twice). */
  const post = (url: string, fields: Fields) =>
    server.app.inject({
      method: 'POST',
      url,
      headers: { ...FORM_HEADERS, cookie: session.cookie },
      payload: new URLSearchParams([
        ['_csrf', session.csrf],
        ['name', 'keyed'],
        ['token_classes', 'api'],
        ...fields,
      ] as [string, string][]).toString(),
    });

  async function create(fields: Fields): Promise<Application> {
    const response = await post('/dashboard/applications', fields);
    assert.equal(response.statusCode, 201, response.body);
    const clientId = /id="client-id">([^<]+)</.exec(response.body)?.[1] ?? '';
    return server.services.applications.get(clientId);
  }

  const jwks = (...keys: JWK[]) => JSON.stringify({ keys });

  it('creates an application with each method', async () => {
    const secrets = await create([['token_endpoint_auth_method', '']]);
    assert.equal(secrets.tokenEndpointAuthMethod, null);
    for (const method of ['client_secret_basic', 'client_secret_post']) {
      assert.equal((await create([['token_endpoint_auth_method', method]])).tokenEndpointAuthMethod, method);
    }
    const keyed = await create([
      ['token_endpoint_auth_method', 'private_key_jwt'],
      ['jwks', jwks(publicJwk)],
    ]);
    assert.equal(keyed.tokenEndpointAuthMethod, 'private_key_jwt');
    assert.deepEqual(keyed.jwks, { keys: [publicJwk] });
    const published = await create([
      ['token_endpoint_auth_method', 'private_key_jwt'],
      ['jwks_uri', 'https://client.example.com/jwks.json'],
    ]);
    assert.equal(published.jwksUri, 'https://client.example.com/jwks.json');
    assert.equal(published.jwks, null);
    const mtls = await create([
      ['token_endpoint_auth_method', 'tls_client_auth'],
      ['tls_subject_field', 'tls_client_auth_san_dns'],
      ['tls_subject_value', 'client.example.com'],
      ['tls_client_certificate_bound_access_tokens', 'on'],
    ]);
    assert.deepEqual(mtls.tlsSubject, { field: 'tls_client_auth_san_dns', value: 'client.example.com' });
    assert.equal(mtls.certificateBoundAccessTokens, true);
    assert.equal(mtls.dpopBoundAccessTokens, false);
    const selfSignedApp = await create([
      ['token_endpoint_auth_method', 'self_signed_tls_client_auth'],
      ['jwks', jwks(certificateJwk)],
      ['dpop_bound_access_tokens', 'on'],
    ]);
    assert.equal(selfSignedApp.tokenEndpointAuthMethod, 'self_signed_tls_client_auth');
    assert.equal(selfSignedApp.jwks?.keys[0]?.x5c?.[0], certificateJwk.x5c?.[0]);
    assert.equal(selfSignedApp.dpopBoundAccessTokens, true);
  });

  it('shows curl lines for the secret method it has, and none for a method without secrets', async () => {
    const basic = await post('/dashboard/applications', [
      ['token_endpoint_auth_method', 'client_secret_basic'],
    ]);
    assert.match(basic.body, /curl -s \S+ -u [0-9a-f-]{36}:\S+ -d grant_type=client_credentials/);
    const keyed = await post('/dashboard/applications', [
      ['token_endpoint_auth_method', 'private_key_jwt'],
      ['jwks', jwks(publicJwk)],
    ]);
    assert.doesNotMatch(keyed.body, /curl -s/);
    assert.match(
      keyed.body,
      /authenticates with <code>private_key_jwt<\/code>: the token endpoint refuses the secret/,
    );
  });

  // Each refusal: the fields posted, and where its message must appear.
  const REFUSALS: { why: string; fields: () => Fields; at: string; says: RegExp }[] = [
    {
      why: 'a JWKS that is not JSON',
      fields: () => [
        ['token_endpoint_auth_method', 'private_key_jwt'],
        ['jwks', '{"keys": ['],
      ],
      at: 'field-jwks-error',
      says: /jwks is not JSON/,
    },
    {
      why: 'private_key_jwt without keys',
      fields: () => [['token_endpoint_auth_method', 'private_key_jwt']],
      at: 'public-keys-error',
      says: /private_key_jwt needs the application’s public keys: jwks or jwks_uri/,
    },
    {
      why: 'both jwks and jwks_uri',
      fields: () => [
        ['token_endpoint_auth_method', 'private_key_jwt'],
        ['jwks', jwks(publicJwk)],
        ['jwks_uri', 'https://client.example.com/jwks.json'],
      ],
      at: 'public-keys-error',
      says: /give jwks or jwks_uri, not both/,
    },
    {
      why: 'keys for a secret method',
      fields: () => [
        ['token_endpoint_auth_method', 'client_secret_basic'],
        ['jwks', jwks(publicJwk)],
      ],
      at: 'public-keys-error',
      says: /jwks and jwks_uri are only for/,
    },
    {
      why: 'a private key',
      fields: () => [
        ['token_endpoint_auth_method', 'private_key_jwt'],
        ['jwks', jwks(privateJwk)],
      ],
      at: 'field-jwks-error',
      says: /jwks.keys\[0\] holds private key material \(d\)/,
    },
    {
      why: 'a jwks_uri that is no URL',
      fields: () => [
        ['token_endpoint_auth_method', 'private_key_jwt'],
        ['jwks_uri', 'not a url'],
      ],
      at: 'field-jwks_uri-error',
      says: /jwks_uri must be an absolute https URL/,
    },
    {
      why: 'self-signed keys without x5c',
      fields: () => [
        ['token_endpoint_auth_method', 'self_signed_tls_client_auth'],
        ['jwks', jwks(publicJwk)],
      ],
      at: 'field-jwks-error',
      says: /jwks.keys\[0\] has no x5c/,
    },
    {
      why: 'tls_client_auth without a subject',
      fields: () => [
        ['token_endpoint_auth_method', 'tls_client_auth'],
        ['tls_subject_value', '  '],
      ],
      at: 'field-tls_subject_value-error',
      says: /tls_client_auth needs the subject its certificate must carry/,
    },
    {
      why: 'two subjects',
      fields: () => [
        ['token_endpoint_auth_method', 'tls_client_auth'],
        ['tls_subject_field', 'tls_client_auth_subject_dn'],
        ['tls_subject_value', 'CN=client'],
        ['tls_subject_field', 'tls_client_auth_san_ip'],
        ['tls_subject_value', '192.0.2.1'],
      ],
      at: 'field-tls_subject_value-error',
      says: /give exactly one of tls_client_auth_subject_dn and tls_client_auth_san_ip/,
    },
    {
      why: 'one subject field twice',
      fields: () => [
        ['token_endpoint_auth_method', 'tls_client_auth'],
        ['tls_subject_field', 'tls_client_auth_san_dns'],
        ['tls_subject_value', 'a.example.com'],
        ['tls_subject_field', 'tls_client_auth_san_dns'],
        ['tls_subject_value', 'b.example.com'],
      ],
      at: 'field-tls_subject_value-error',
      says: /tls subject: give one tls_client_auth_san_dns, not two/,
    },
    {
      why: 'a subject that is not what its field says',
      fields: () => [
        ['token_endpoint_auth_method', 'tls_client_auth'],
        ['tls_subject_field', 'tls_client_auth_san_ip'],
        ['tls_subject_value', 'not-an-ip'],
      ],
      at: 'field-tls_subject_value-error',
      says: /tls_client_auth_san_ip is not an IPv4 or IPv6 address/,
    },
    {
      why: 'an unknown subject field',
      fields: () => [
        ['token_endpoint_auth_method', 'tls_client_auth'],
        ['tls_subject_field', 'tls_client_auth_serial'],
        ['tls_subject_value', '42'],
      ],
      at: 'field-tls_subject_value-error',
      says: /tls subject field must be one of/,
    },
    {
      why: 'a subject for another method',
      fields: () => [
        ['token_endpoint_auth_method', 'private_key_jwt'],
        ['jwks', jwks(publicJwk)],
        ['tls_subject_value', 'CN=client'],
      ],
      at: 'field-tls_subject_value-error',
      says: /tls_client_auth_subject_dn is only for token_endpoint_auth_method tls_client_auth/,
    },
    {
      why: 'an unknown method',
      fields: () => [['token_endpoint_auth_method', 'client_secret_jwt']],
      at: 'field-token_endpoint_auth_method-error',
      says: /token_endpoint_auth_method must be one of/,
    },
  ];

  /** The page's error `at` says `says`, the field points at it, and nothing else is in error. */
  function assertRefused(response: { statusCode: number; body: string }, at: string, says: RegExp) {
    assert.equal(response.statusCode, 400, response.body);
    const message = new RegExp(`<p class="error" id="${at}" role="alert">([^<]*)</p>`).exec(
      response.body,
    )?.[1];
    assert.ok(message, `no error at ${at}: ${/role="alert">[^<]*/.exec(response.body)?.[0]}`);
    assert.match(message.replaceAll('&#39;', "'"), says);
    assert.match(response.body, new RegExp(`aria-describedby="[^"]*${at}`));
    assert.equal(response.body.match(/class="error"/g)?.length, 1);
  }

  for (const { why, fields, at, says } of REFUSALS) {
    it(`refuses ${why} on create, next to the field, and saves nothing`, async () => {
      const before = await server.services.applications.count();
      const response = await post('/dashboard/applications', fields());
      assertRefused(response, at, says);
      assert.equal(await server.services.applications.count(), before);
    });
  }

  it('shows what was typed again, the JWKS too, beside the error', async () => {
    const response = await post('/dashboard/applications', [
      ['token_endpoint_auth_method', 'private_key_jwt'],
      ['jwks', '{"keys": [ <oops'],
      ['dpop_bound_access_tokens', 'on'],
    ]);
    assert.equal(response.statusCode, 400);
    assert.match(
      response.body,
      /<textarea [^>]*name="jwks"[^>]*>\{&quot;keys&quot;: \[ &lt;oops<\/textarea>/,
    );
    assert.match(response.body, /<option value="private_key_jwt" selected>/);
    assert.match(response.body, /name="dpop_bound_access_tokens" checked/);
  });

  it('edits an application to each method and back, and its page shows the method and bindings', async () => {
    const app = await create([]);
    const url = `/dashboard/applications/${app.clientId}`;
    const keyed = await post(url, [
      ['token_endpoint_auth_method', 'private_key_jwt'],
      ['jwks', jwks(publicJwk)],
      ['dpop_bound_access_tokens', 'on'],
    ]);
    assert.equal(keyed.statusCode, 200, keyed.body);
    assert.match(
      keyed.body,
      /<dt>Client authentication<\/dt><dd><code>private_key_jwt<\/code>, 1 public key\(s\) registered<\/dd>/,
    );
    assert.match(
      keyed.body,
      /<dt>Token binding<\/dt><dd>DPoP-bound \(every token request needs a DPoP proof\)<\/dd>/,
    );
    // The form shows the keys as saved, so saving it again changes nothing.
    const shown = /<textarea [^>]*name="jwks"[^>]*>([^<]*)<\/textarea>/.exec(keyed.body)?.[1] ?? '';
    assert.deepEqual(JSON.parse(shown.replaceAll('&quot;', '"')), { keys: [publicJwk] });
    let saved = await server.services.applications.get(app.clientId);
    assert.equal(saved.tokenEndpointAuthMethod, 'private_key_jwt');
    assert.equal(saved.dpopBoundAccessTokens, true);

    const mtls = await post(url, [
      ['token_endpoint_auth_method', 'tls_client_auth'],
      ['tls_subject_field', 'tls_client_auth_subject_dn'],
      ['tls_subject_value', 'CN=client,O=Example'],
      ['tls_client_certificate_bound_access_tokens', 'on'],
    ]);
    assert.equal(mtls.statusCode, 200, mtls.body);
    assert.match(mtls.body, /certificate Subject distinguished name <code>CN=client,O=Example<\/code>/);
    assert.match(mtls.body, /<dd>certificate-bound \(cnf x5t#S256\)<\/dd>/);
    assert.match(mtls.body, /<option value="tls_client_auth_subject_dn" selected>/);
    saved = await server.services.applications.get(app.clientId);
    assert.deepEqual(saved.tlsSubject, { field: 'tls_client_auth_subject_dn', value: 'CN=client,O=Example' });
    assert.equal(saved.dpopBoundAccessTokens, false);

    const back = await post(url, [['token_endpoint_auth_method', '']]);
    assert.equal(back.statusCode, 200, back.body);
    assert.match(back.body, /<dt>Client authentication<\/dt><dd>either client secret method<\/dd>/);
    assert.match(back.body, /<dt>Token binding<\/dt><dd>none \(bearer tokens\)<\/dd>/);
    saved = await server.services.applications.get(app.clientId);
    assert.deepEqual(
      [
        saved.tokenEndpointAuthMethod,
        saved.jwks,
        saved.jwksUri,
        saved.tlsSubject,
        saved.certificateBoundAccessTokens,
      ],
      [null, null, null, null, false],
    );
  });

  for (const { why, fields, at, says } of REFUSALS) {
    it(`refuses ${why} on edit, next to the field, and changes nothing`, async () => {
      const app = await create([['token_endpoint_auth_method', 'client_secret_post']]);
      const posted = fields();
      const response = await post(`/dashboard/applications/${app.clientId}`, posted);
      assertRefused(response, at, says);
      const method = posted[0]?.[1] ?? '';
      if (method !== 'client_secret_jwt') {
        assert.match(response.body, new RegExp(`<option value="${method}" selected>`), 'as posted');
      }
      assert.deepEqual(await server.services.applications.get(app.clientId), app);
    });
  }

  it('shows a viewer the method and bindings, without the form', async () => {
    const app = await create([
      ['token_endpoint_auth_method', 'self_signed_tls_client_auth'],
      ['jwks', jwks(certificateJwk)],
      ['dpop_bound_access_tokens', 'on'],
      ['tls_client_certificate_bound_access_tokens', 'on'],
    ]);
    const viewer = await signIn('v@example.com');
    const page = await server.app.inject({
      url: `/dashboard/applications/${app.clientId}`,
      headers: { cookie: viewer.cookie },
    });
    assert.equal(page.statusCode, 200);
    assert.match(
      page.body,
      /<dd><code>self_signed_tls_client_auth<\/code>, 1 public key\(s\) registered<\/dd>/,
    );
    assert.match(page.body, /<dd>DPoP-bound \(every token request needs a DPoP proof\); certificate-bound/);
    assert.doesNotMatch(page.body, /name="token_endpoint_auth_method"/);
  });
});
