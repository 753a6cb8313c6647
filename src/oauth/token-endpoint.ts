import { issueAccessToken, type TokenResponse } from './access-token.js';
import { authenticateCaller, readForm } from './authenticated-request.js';
import { invalidRequest, unsupportedGrantType } from './errors.js';
import type { FormParameters } from './form-body.js';
import { grantScope } from './grant-scope.js';
import type { OAuthContext, OAuthRequest } from './ports.js';

export const GRANT_TYPES_SUPPORTED = ['client_credentials'] as const;

/**
 * POST /oauth2/token for the client-credentials grant (RFC 6749 §4.4), as a pipeline of named
 * steps. Throws OAuthError for every refusal.
 */
export async function handleTokenRequest(
  request: OAuthRequest,
  context: OAuthContext,
): Promise<TokenResponse> {
  const parameters = readForm(request);
  requireClientCredentialsGrant(parameters);
  const client = await authenticateCaller(request, parameters, context);
  const scope = await grantScope(client, parameters.get('scope'), context);
  return issueAccessToken(client, scope, context);
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
