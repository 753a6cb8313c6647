import { createHash, timingSafeEqual, X509Certificate } from 'node:crypto';
import type { AccessTokenClaims } from './claims.js';
import { BearerTokenError } from './errors.js';

/**
 * RFC 8705 §3: a token bound to a client certificate (`cnf.x5t#S256`) is good only over a
 * connection that presents that certificate. `certificate` is the one the resource server's TLS (or
 * its proxy) saw: an X509Certificate (`socket.getPeerX509Certificate()`), its DER, or PEM text.
 * Throws invalid_token when the token is bound and the certificate is missing or another; a token
 * bound to nothing passes, unless `required`.
 */
export function verifyCertificateBinding(
  claims: AccessTokenClaims,
  certificate: X509Certificate | Buffer | string | undefined,
  options: { readonly required?: boolean } = {},
): void {
  const bound = (claims.cnf as { 'x5t#S256'?: unknown } | undefined)?.['x5t#S256'];
  if (bound === undefined) {
    if (options.required) {
      throw new BearerTokenError('invalid_token', 'the access token is not bound to a client certificate');
    }
    return;
  }
  if (certificate === undefined) {
    throw new BearerTokenError(
      'invalid_token',
      'the access token is bound to a client certificate, and none was presented',
    );
  }
  const presented = createHash('sha256').update(derOf(certificate)).digest();
  const expected = typeof bound === 'string' ? Buffer.from(bound, 'base64url') : Buffer.alloc(0);
  if (expected.length !== presented.length || !timingSafeEqual(expected, presented)) {
    throw new BearerTokenError(
      'invalid_token',
      'the access token is bound to another client certificate than the one presented',
    );
  }
}

function derOf(certificate: X509Certificate | Buffer | string): Buffer {
  if (certificate instanceof X509Certificate) return certificate.raw;
  return new X509Certificate(certificate).raw;
}
