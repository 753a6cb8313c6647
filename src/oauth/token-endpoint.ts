import { issueAccessToken, type TokenResponse } from './access-token.js';
import { authenticateClient } from './authenticate-client.js';
import { readClientCredentials } from './client-credentials.js';
import { invalidRequest, unsupportedGrantType } from './errors.js';
import { type FormParameters, parseFormBody } from './form-body.js';
import { grantScope } from './grant-scope.js';
import type { TokenEndpointContext } from './ports.js';

export const GRANT_TYPES_SUPPORTED = ['client_credentials'] as const;

/** A token request as it arrived, free of any HTTP framework. */
export interface TokenRequest {
  readonly contentType: string | undefined;
  readonly body: Buffer | undefined;
  readonly authorization: string | undefined;
  /** The raw query string, without '?'. */
  readonly query: string;
}

/**
 * POST /oauth2/token for the client-credentials grant (RFC 6749 §4.4), as a pipeline of named
 * steps. Throws OAuthError for every refusal.
 */
export async function handleTokenRequest(
  request: TokenRequest,
  context: TokenEndpointContext,
): Promise<TokenResponse> {
  rejectParametersInUrl(request.query);
  const parameters = parseFormBody(request.contentType, request.body);
  requireClientCredentialsGrant(parameters);
  const credentials = readClientCredentials(parameters, request.authorization);
  const client = await authenticateClient(credentials, context);
  const scope = await grantScope(client, parameters.get('scope'), context);
  return issueAccessToken(client, scope, context);
}

/** RFC 6749 §2.3.1: credentials must not travel in the URL, where logs and proxies keep them. */
function rejectParametersInUrl(query: string): void {
  if (query !== '') throw invalidRequest('parameters must be sent in the request body, not in the URL');
}

function requireClientCredentialsGrant(parameters: FormParameters): void {
  const grantType = parameters.get('grant_type');
  if (grantType === undefined) throw invalidRequest('grant_type is missing: use client_credentials');
  if (grantType !== 'client_credentials') {
    throw unsupportedGrantType(
      `grant_type '${grantType.slice(0, 64)}' is not supported: use client_credentials`,
    );
  }
}
