import { authenticateCaller } from './client-authentication.js';
import { OAuthError } from './errors.js';
import { readForm, requireParameter } from './form-body.js';
import type { OAuthContext, OAuthRequest } from './ports.js';
import { verifyAccessToken } from './verify-access-token.js';

/**
 * POST /oauth2/revoke (RFC 7009). An application revokes a token issued to it. A token that is
 * invalid, expired, unknown or already revoked is answered with success too (RFC 7009 §2.2): the
 * caller's aim, that the token no longer works, holds.
 */
export async function handleRevocation(request: OAuthRequest, context: OAuthContext): Promise<void> {
  const parameters = readForm(request);
  const caller = await authenticateCaller(request, parameters, context);
  const claims = await verifyAccessToken(requireParameter(parameters, 'token'), context);
  if (!claims) return;
  if (claims.client_id !== caller.clientId) {
    // RFC 7009 §2.1: the server checks that the token was issued to the caller, and refuses if not.
    throw new OAuthError('unauthorized_client', 'this token was not issued to the calling application', 400);
  }
  await context.revocations.revoke({ jti: claims.jti, clientId: claims.client_id, expiresAt: claims.exp });
}
