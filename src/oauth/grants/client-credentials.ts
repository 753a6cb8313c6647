import type { Client } from '../../domain/client.js';
import { andThen, type Eventually } from '../../domain/eventually.js';
import { type Confirmation, issueAccessToken, type TokenResponse } from '../access-token.js';
import type { FormParameters } from '../form-body.js';
import type { OAuthContext } from '../ports.js';
import { grantScope } from '../scope.js';

/** RFC 6749 §4.4: the client asks for a token in its own name (or, here, for one of its customers). */
export const grantType = 'client_credentials';

/** Grants the requested scope to the authenticated client and signs its access token. */
export function handler(
  client: Client,
  parameters: FormParameters,
  context: OAuthContext,
  cnf: Confirmation | undefined,
): Eventually<TokenResponse> {
  return andThen(grantScope(client, parameters.get('scope'), context), (scope) =>
    issueAccessToken(client, scope, context, cnf),
  );
}
