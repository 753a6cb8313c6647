import type { Client } from '../../domain/client.js';
import type { TokenResponse } from '../access-token.js';
import { invalidRequest, unsupportedGrantType } from '../errors.js';
import type { FormParameters } from '../form-body.js';
import type { OAuthContext } from '../ports.js';
import * as clientCredentials from './client-credentials.js';

/** A grant type of the token endpoint: its RFC name and what it does for an authenticated client. */
interface Grant {
  readonly grantType: string;
  handler(client: Client, parameters: FormParameters, context: OAuthContext): Promise<TokenResponse>;
}

/** Every grant this server supports; the next one is one more module and one more entry. */
const GRANTS: readonly Grant[] = [clientCredentials];

/** For the RFC 8414 metadata's `grant_types_supported`. */
export const GRANT_TYPES_SUPPORTED: readonly string[] = GRANTS.map((grant) => grant.grantType);

const HOW = `use ${GRANT_TYPES_SUPPORTED.join(' or ')}`;

/** The grant the request's `grant_type` names (RFC 6749 §5.2: missing or unknown is refused). */
export function grantFor(parameters: FormParameters): Grant {
  const grantType = parameters.get('grant_type');
  if (grantType === undefined) throw invalidRequest(`grant_type is missing: ${HOW}`);
  const grant = GRANTS.find((candidate) => candidate.grantType === grantType);
  if (grant === undefined) {
    throw unsupportedGrantType(`grant_type '${grantType.slice(0, 64)}' is not supported: ${HOW}`);
  }
  return grant;
}
