import type { TokenResponse } from './access-token.js';
import { authenticateCaller } from './client-authentication.js';
import { readForm } from './form-body.js';
import { grantFor } from './grants/index.js';
import type { OAuthContext, OAuthRequest } from './ports.js';

/**
 * POST /oauth2/token (RFC 6749 §3.2), as a pipeline of named steps: the form, the grant it names,
 * the client authenticated, then the grant's own handler. Throws OAuthError for every refusal.
 */
export async function handleTokenRequest(
  request: OAuthRequest,
  context: OAuthContext,
): Promise<TokenResponse> {
  const parameters = readForm(request);
  const grant = grantFor(parameters);
  const client = await authenticateCaller(request, parameters, context);
  return grant.handler(client, parameters, context);
}
