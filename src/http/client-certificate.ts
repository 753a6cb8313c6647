import { X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { invalidRequest } from '../oauth/errors.js';
import type { ClientCertificate } from '../oauth/ports.js';

/** Where client certificates may come from: our own TLS, and a trusted proxy's Client-Cert header. */
export interface ClientCertificateSources {
  /** TLS_CLIENT_CA_FILE is set: our handshake verified chains against it (socket.authorized). */
  readonly clientCaConfigured: boolean;
  /** Whether the socket's peer is one of TRUST_PROXY's proxies; undefined when none is trusted. */
  readonly trustedProxy: ((address: string) => boolean) | undefined;
}

/** RFC 8941 §3.3.5 byte sequence: base64 between colons (the whole header value, RFC 9440 §2.2). */
const BYTE_SEQUENCE = /^:([A-Za-z0-9+/]+={0,2}):$/;

/**
 * The client certificate of a request, from the raw node request so that any HTTP front end can
 * call it, read at most once and only when asked:
 * - from a trusted proxy (TRUST_PROXY names the socket's peer), its RFC 9440 `Client-Cert` header,
 *   which the proxy verified: RFC 9440 §2 has the proxy send only a certificate it validated, and
 *   replace any such header from the client. From any other peer the header is ignored.
 * - otherwise the certificate of our own TLS handshake (TLS_CERT_FILE; requested, not required),
 *   its chain verified when TLS_CLIENT_CA_FILE names the CAs to verify it against.
 */
export function clientCertificateOf(
  raw: IncomingMessage,
  sources: ClientCertificateSources,
): () => ClientCertificate | undefined {
  let read = false;
  let found: ClientCertificate | undefined;
  return () => {
    if (!read) {
      found = readClientCertificate(raw, sources);
      read = true;
    }
    return found;
  };
}

function readClientCertificate(
  raw: IncomingMessage,
  sources: ClientCertificateSources,
): ClientCertificate | undefined {
  const header = raw.headers['client-cert'];
  const peer = raw.socket.remoteAddress;
  if (header !== undefined && peer !== undefined && sources.trustedProxy?.(peer)) {
    return { certificate: forwardedCertificate(header), chainVerified: true };
  }
  const socket = raw.socket as Partial<TLSSocket>;
  const certificate = socket.getPeerX509Certificate?.();
  if (certificate === undefined) return undefined;
  return { certificate, chainVerified: sources.clientCaConfigured && socket.authorized === true };
}

/** The DER certificate of a Client-Cert header, or a refusal naming the expected form. */
function forwardedCertificate(header: string | string[]): X509Certificate {
  const value = Array.isArray(header) ? header.join(', ') : header;
  const base64 = BYTE_SEQUENCE.exec(value.trim())?.[1];
  if (base64 === undefined || base64.length % 4 !== 0) {
    throw invalidRequest(
      'the Client-Cert header must be one DER certificate as an RFC 8941 byte sequence (:base64:), per RFC 9440',
    );
  }
  try {
    return new X509Certificate(Buffer.from(base64, 'base64'));
  } catch {
    throw invalidRequest('the Client-Cert header does not hold a DER X.509 certificate (RFC 9440)');
  }
}
