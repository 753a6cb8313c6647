import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { certificateHasSubject, type TlsSubject, validTlsSubject } from '../../src/domain/tls-client-auth.js';
import { selfSigned } from '../helpers/client-certificates.js';
import { tempDir } from '../helpers/test-server.js';
import { opensslMissing } from '../helpers/tls.js';

// RFC 8705 §2.1.2 subject matching against certificates made by openssl.

describe('a tls_client_auth subject against a certificate', { skip: opensslMissing() }, () => {
  const temp = tempDir();
  after(() => temp.remove());
  const certificate = (subject: string) => new X509Certificate(selfSigned(temp.dir, 'c', subject).cert);
  const has = (x509: X509Certificate, field: TlsSubject['field'], value: string) =>
    certificateHasSubject(x509, validTlsSubject({ field, value }));

  it('compares the DN in RFC 4514 order, type names in any case, escapes undone', () => {
    const x509 = certificate('/C=SA/O=Lean, Test/CN=client a+UID=u1');
    assert.ok(has(x509, 'tls_client_auth_subject_dn', 'CN=client a+UID=u1,O=Lean\\, Test,C=SA'));
    assert.ok(has(x509, 'tls_client_auth_subject_dn', 'uid=u1+cn=client a, o=Lean\\2C Test, c=SA'));
    assert.ok(
      !has(x509, 'tls_client_auth_subject_dn', 'C=SA,O=Lean\\, Test,CN=client a+UID=u1'),
      'order matters',
    );
    assert.ok(!has(x509, 'tls_client_auth_subject_dn', 'CN=client a,O=Lean\\, Test,C=SA'), 'every attribute');
    assert.ok(
      !has(x509, 'tls_client_auth_subject_dn', 'CN=Client a+UID=u1,O=Lean\\, Test,C=SA'),
      'values exact',
    );
  });

  it('matches one subjectAltName entry of the registered kind', () => {
    const san = 'DNS:Client.example,IP:::1,IP:10.0.0.1,URI:https://a.example/x,email:a@b.example';
    const x509 = new X509Certificate(selfSigned(temp.dir, 'san', '/CN=san', san).cert);
    assert.ok(has(x509, 'tls_client_auth_san_dns', 'client.EXAMPLE'));
    assert.ok(has(x509, 'tls_client_auth_san_ip', '0:0:0:0:0:0:0:1'));
    assert.ok(has(x509, 'tls_client_auth_san_ip', '10.0.0.1'));
    assert.ok(has(x509, 'tls_client_auth_san_uri', 'https://a.example/x'));
    assert.ok(has(x509, 'tls_client_auth_san_email', 'a@b.example'));
    assert.ok(!has(x509, 'tls_client_auth_san_uri', 'https://a.example/'));
    assert.ok(!has(x509, 'tls_client_auth_san_dns', 'a.example'));
    assert.ok(!has(x509, 'tls_client_auth_san_ip', '10.0.0.2'));
    assert.ok(!has(x509, 'tls_client_auth_san_dns', 'san'), 'the CN is not a SAN');
    assert.ok(!has(certificate('/CN=none'), 'tls_client_auth_san_dns', 'client.example'), 'no SAN at all');
  });
});
