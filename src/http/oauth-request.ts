import type { IncomingMessage } from 'node:http';
import type { OAuthRequest } from '../oauth/ports.js';
import { type ClientCertificateSources, clientCertificateOf } from './client-certificate.js';

/**
 * The OAuth layer's view of an HTTP request, read from Node's own request: the one place both the
 * fast path and the framework's routes build it, so that what a grant may see is the same on both.
 * `sourceIp` and the client certificate are read only when needed (a refusal; a method or binding
 * by certificate): with trusted proxies, finding the address costs, and so does parsing a certificate.
 */
export function oauthRequest(
  raw: IncomingMessage,
  body: Buffer | undefined,
  sourceIp: () => string,
  certificates: ClientCertificateSources,
): OAuthRequest {
  const { url = '', headers } = raw;
  const queryStart = url.indexOf('?');
  return {
    contentType: headers['content-type'],
    body,
    authorization: headers.authorization,
    dpop: headers.dpop,
    query: queryStart === -1 ? '' : url.slice(queryStart + 1),
    sourceIp,
    clientCertificate: clientCertificateOf(raw, certificates),
  };
}
