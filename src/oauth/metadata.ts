import { CLIENT_AUTH_METHOD_NAMES } from './client-authentication.js';
import { DPOP_SIGNING_ALGS } from './dpop.js';
import { INTROSPECTION_PATH, JWKS_PATH, REVOCATION_PATH, TOKEN_PATH } from './endpoint-paths.js';
import { GRANT_TYPES_SUPPORTED } from './grants/index.js';
import { ASSERTION_SIGNING_ALGS } from './private-key-jwt.js';

/** Whether client certificates can reach the server (RFC 8705), and where mTLS is served if elsewhere. */
export interface MtlsSupport {
  readonly supported: boolean;
  /** MTLS_BASE_URL: the base of the `mtls_endpoint_aliases` (RFC 8705 §5). */
  readonly baseUrl?: string | undefined;
}

const CERTIFICATE_METHODS = ['tls_client_auth', 'self_signed_tls_client_auth'];

/**
 * The RFC 8414 authorization server metadata. It claims only what this server does: no
 * authorization endpoint, so no response types; the mTLS methods only where certificates can
 * arrive (our own TLS, or a trusted proxy).
 */
export function authorizationServerMetadata(
  issuer: string,
  mtls: MtlsSupport = { supported: false },
): Record<string, unknown> {
  const methods = [...CLIENT_AUTH_METHOD_NAMES, ...(mtls.supported ? CERTIFICATE_METHODS : [])];
  const { baseUrl } = mtls;
  return {
    issuer,
    token_endpoint: `${issuer}${TOKEN_PATH}`,
    jwks_uri: `${issuer}${JWKS_PATH}`,
    grant_types_supported: [...GRANT_TYPES_SUPPORTED],
    token_endpoint_auth_methods_supported: methods,
    token_endpoint_auth_signing_alg_values_supported: [...ASSERTION_SIGNING_ALGS],
    introspection_endpoint: `${issuer}${INTROSPECTION_PATH}`,
    introspection_endpoint_auth_methods_supported: methods,
    introspection_endpoint_auth_signing_alg_values_supported: [...ASSERTION_SIGNING_ALGS],
    revocation_endpoint: `${issuer}${REVOCATION_PATH}`,
    revocation_endpoint_auth_methods_supported: methods,
    revocation_endpoint_auth_signing_alg_values_supported: [...ASSERTION_SIGNING_ALGS],
    dpop_signing_alg_values_supported: [...DPOP_SIGNING_ALGS],
    ...(mtls.supported && { tls_client_certificate_bound_access_tokens: true }),
    ...(mtls.supported &&
      baseUrl !== undefined && {
        mtls_endpoint_aliases: {
          token_endpoint: `${baseUrl}${TOKEN_PATH}`,
          introspection_endpoint: `${baseUrl}${INTROSPECTION_PATH}`,
          revocation_endpoint: `${baseUrl}${REVOCATION_PATH}`,
        },
      }),
    // customer.<customer_id> scopes are per customer and cannot be listed.
    scopes_supported: ['api'],
    // RFC 8414 makes this member required; with no authorization endpoint the honest value is empty.
    response_types_supported: [],
  };
}
