import { createHash } from 'node:crypto';
import type { JWK } from 'jose';
import type { Client } from '../domain/client.js';
import { certificateHasSubject } from '../domain/tls-client-auth.js';
import type { ClientCertificate, OAuthContext } from './ports.js';

/**
 * Mutual-TLS client authentication (RFC 8705 §2): the client sends its client_id in the form and
 * proves itself with the certificate of the connection. tls_client_auth (§2.1): a chain to a CA we
 * trust and the registered subject; self_signed_tls_client_auth (§2.2): one of the certificates
 * registered in the application's JWKS (`x5c`), whoever issued it.
 */
export const CERTIFICATE_FAILED =
  'client authentication failed: unknown client_id, or a client certificate that does not match the ' +
  'application’s registered subject (tls_client_auth) or certificates (self_signed_tls_client_auth)';

/**
 * The public description of a failure. What it adds depends on the request alone (whether the chain
 * verified), never on the client, so an unknown client_id and a mismatch still read the same.
 */
export function certificateFailure(presented: ClientCertificate): string {
  return presented.chainVerified
    ? CERTIFICATE_FAILED
    : `${CERTIFICATE_FAILED}; this certificate is not issued by a CA this server trusts (TLS_CLIENT_CA_FILE), so only self_signed_tls_client_auth can accept it`;
}

/** Why the certificate does not prove the client, for the log; undefined when it does. */
export async function certificateMismatch(
  client: Client | null,
  presented: ClientCertificate,
  context: Pick<OAuthContext, 'clientKeys'>,
): Promise<string | undefined> {
  if (client === null) return 'unknown client_id';
  const [method] = client.authMethods;
  if (method === 'tls_client_auth' && client.tlsSubject !== null) {
    if (!presented.chainVerified) return 'client certificate not issued by a trusted CA';
    if (!certificateHasSubject(presented.certificate, client.tlsSubject)) {
      return `client certificate lacks the registered ${client.tlsSubject.field}`;
    }
    return undefined;
  }
  if (method === 'self_signed_tls_client_auth') {
    const jwks = client.jwks ?? (await context.clientKeys.keysOf(client, undefined));
    const der = presented.certificate.raw;
    if (jwks?.keys.some((key) => registeredDer(key)?.equals(der))) return undefined;
    return 'client certificate is none of the application’s x5c certificates';
  }
  return 'the application does not authenticate with a client certificate';
}

/** RFC 8705 §3.1: `x5t#S256`, the base64url SHA-256 of the certificate's DER. */
export function certificateThumbprint(presented: ClientCertificate): string {
  return createHash('sha256').update(presented.certificate.raw).digest('base64url');
}

/** Decoded once per key of a cached client: the JWK objects live as long as the client does. */
const decoded = new WeakMap<JWK, Buffer | null>();

function registeredDer(key: JWK): Buffer | null {
  let der = decoded.get(key);
  if (der === undefined) {
    const first = key.x5c?.[0];
    der = typeof first === 'string' ? Buffer.from(first, 'base64') : null;
    decoded.set(key, der);
  }
  return der;
}
