import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  type AdminTestServer,
  expectRefusedWithoutChange,
  startAdminServer,
} from '../../helpers/admin-server.js';
import { selfSigned } from '../../helpers/client-certificates.js';
import { tempDir } from '../../helpers/test-server.js';
import { opensslMissing } from '../../helpers/tls.js';

// The RFC 8705 metadata on the admin API: each method with what it needs, and clear refusals.

const skip = opensslMissing();
const temp = tempDir();
let server: AdminTestServer;
let certificateJwks: { keys: object[] };

before(async () => {
  server = await startAdminServer();
  if (skip) return;
  const x509 = new X509Certificate(selfSigned(temp.dir, 'self', '/CN=self').cert);
  certificateJwks = {
    keys: [{ ...x509.publicKey.export({ format: 'jwk' }), x5c: [x509.raw.toString('base64')] }],
  };
});
after(async () => {
  await server.close();
  temp.remove();
});

describe('tls_client_auth and self_signed_tls_client_auth on the admin API', { skip }, () => {
  it('registers tls_client_auth with a subject DN, shown under its RFC 8705 name', async () => {
    const response = await server.admin('POST', '/applications', {
      name: 'pki',
      token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_subject_dn: 'CN=client,O=Example,C=SA',
      tls_client_certificate_bound_access_tokens: true,
    });
    assert.equal(response.statusCode, 201, response.body);
    const shown = response.json();
    assert.equal(shown.tls_client_auth_subject_dn, 'CN=client,O=Example,C=SA');
    assert.equal(shown.tls_client_auth_san_dns, null);
    assert.equal(shown.tls_client_certificate_bound_access_tokens, true);
    // Another subject field replaces it; moving to a secret method drops it.
    const san = await server.admin('PATCH', `/applications/${shown.client_id}`, {
      tls_client_auth_subject_dn: null,
      tls_client_auth_san_ip: '2001:db8::1',
    });
    assert.equal(san.statusCode, 200, san.body);
    assert.equal(san.json().tls_client_auth_subject_dn, null);
    assert.equal(san.json().tls_client_auth_san_ip, '2001:db8::1');
    const back = await server.admin('PATCH', `/applications/${shown.client_id}`, {
      token_endpoint_auth_method: null,
    });
    assert.equal(back.json().tls_client_auth_san_ip, null);
    assert.equal(
      back.json().tls_client_certificate_bound_access_tokens,
      true,
      'binding works with any method',
    );
  });

  it('registers self_signed_tls_client_auth with certificates in x5c', async () => {
    const response = await server.admin('POST', '/applications', {
      name: 'self',
      token_endpoint_auth_method: 'self_signed_tls_client_auth',
      jwks: certificateJwks,
    });
    assert.equal(response.statusCode, 201, response.body);
    assert.equal(response.json().jwks.keys[0].x5c.length, 1);
  });

  const otherKey = () =>
    generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
  const refusals: [string, () => Record<string, unknown>, RegExp][] = [
    [
      'tls_client_auth without a subject',
      () => ({ token_endpoint_auth_method: 'tls_client_auth' }),
      /needs the subject .*one of tls_client_auth_subject_dn/,
    ],
    [
      'two subject fields',
      () => ({
        token_endpoint_auth_method: 'tls_client_auth',
        tls_client_auth_subject_dn: 'CN=a',
        tls_client_auth_san_dns: 'a.example',
      }),
      /exactly one of tls_client_auth_subject_dn and tls_client_auth_san_dns/,
    ],
    [
      'a subject with a secret method',
      () => ({ tls_client_auth_san_dns: 'a.example' }),
      /tls_client_auth_san_dns is only for token_endpoint_auth_method tls_client_auth/,
    ],
    [
      'a DN that is not one',
      () => ({ token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'client' }),
      /tls_client_auth_subject_dn is not a distinguished name/,
    ],
    [
      'an IP that is not one',
      () => ({ token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_ip: '10.0.0' }),
      /tls_client_auth_san_ip is not an IPv4 or IPv6 address/,
    ],
    [
      'jwks with tls_client_auth',
      () => ({
        token_endpoint_auth_method: 'tls_client_auth',
        tls_client_auth_san_dns: 'a.example',
        jwks: certificateJwks,
      }),
      /tls_client_auth takes no jwks/,
    ],
    [
      'self-signed without keys',
      () => ({ token_endpoint_auth_method: 'self_signed_tls_client_auth' }),
      /self_signed_tls_client_auth needs .*jwks or jwks_uri/,
    ],
    [
      'a key without x5c',
      () => ({ token_endpoint_auth_method: 'self_signed_tls_client_auth', jwks: { keys: [otherKey()] } }),
      /jwks.keys\[0\] has no x5c/,
    ],
    [
      'an x5c that is not a certificate',
      () => ({
        token_endpoint_auth_method: 'self_signed_tls_client_auth',
        jwks: { keys: [{ ...otherKey(), x5c: ['bm90'] }] },
      }),
      /x5c\[0\] is not a base64 DER certificate/,
    ],
    [
      'a certificate of another key',
      () => {
        const [key] = certificateJwks.keys as Record<string, unknown>[];
        return {
          token_endpoint_auth_method: 'self_signed_tls_client_auth',
          jwks: { keys: [{ ...otherKey(), x5c: key?.x5c }] },
        };
      },
      /the certificate in x5c is not for this key/,
    ],
    [
      'a bound flag that is not a boolean',
      () => ({ tls_client_certificate_bound_access_tokens: 'yes' }),
      /boolean/,
    ],
  ];
  for (const [what, body, message] of refusals) {
    it(`refuses ${what} with 400, changing nothing`, async () => {
      await expectRefusedWithoutChange(
        server,
        () => server.admin('POST', '/applications', { name: 'refused', ...body() }),
        400,
        'invalid_request',
        message,
      );
    });
  }
});
