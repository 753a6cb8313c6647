import { CLIENT_AUTH_METHOD_NAMES } from './client-authentication.js';
import { DPOP_SIGNING_ALGS } from './dpop.js';
import { INTROSPECTION_PATH, JWKS_PATH, REVOCATION_PATH, TOKEN_PATH } from './endpoint-paths.js';
import { GRANT_TYPES_SUPPORTED } from './grants/index.js';
import { ASSERTION_SIGNING_ALGS } from './private-key-jwt.js';

/**
 * The RFC 8414 authorization server metadata. It claims only what this server does: no
 * authorization endpoint, so no response types.
 */
export function authorizationServerMetadata(issuer: string): Record<string, unknown> {
  return {
    issuer,
    token_endpoint: `${issuer}${TOKEN_PATH}`,
    jwks_uri: `${issuer}${JWKS_PATH}`,
    grant_types_supported: [...GRANT_TYPES_SUPPORTED],
    token_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHOD_NAMES],
    token_endpoint_auth_signing_alg_values_supported: [...ASSERTION_SIGNING_ALGS],
    introspection_endpoint: `${issuer}${INTROSPECTION_PATH}`,
    introspection_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHOD_NAMES],
    introspection_endpoint_auth_signing_alg_values_supported: [...ASSERTION_SIGNING_ALGS],
    revocation_endpoint: `${issuer}${REVOCATION_PATH}`,
    revocation_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHOD_NAMES],
    revocation_endpoint_auth_signing_alg_values_supported: [...ASSERTION_SIGNING_ALGS],
    dpop_signing_alg_values_supported: [...DPOP_SIGNING_ALGS],
    // customer.<customer_id> scopes are per customer and cannot be listed.
    scopes_supported: ['api'],
    // RFC 8414 makes this member required; with no authorization endpoint the honest value is empty.
    response_types_supported: [],
  };
}
