import type { Client } from '../../domain/client.js';
import { andThen, type Eventually } from '../../domain/eventually.js';
import type { Confirmation, TokenResponse } from '../access-token.js';
import { certificateThumbprint } from '../certificate-authentication.js';
import { authenticateCaller } from '../client-authentication.js';
import { invalidDpopProof, verifyDpopProof } from '../dpop.js';
import { TOKEN_PATH } from '../endpoint-paths.js';
import { invalidRequest, unsupportedGrantType } from '../errors.js';
import { type FormParameters, readForm } from '../form-body.js';
import type { OAuthContext, OAuthRequest } from '../ports.js';
import * as clientCredentials from './client-credentials.js';

/** A grant type of the token endpoint: its RFC name and what it does for an authenticated client. */
interface Grant {
  readonly grantType: string;
  /** `cnf`: the DPoP key or client certificate the token is bound to, if any. */
  handler(
    client: Client,
    parameters: FormParameters,
    context: OAuthContext,
    cnf: Confirmation | undefined,
  ): Eventually<TokenResponse>;
}

/** Every grant this server supports; the next one is one more module and one more entry. */
const GRANTS: readonly Grant[] = [clientCredentials];

/** For the RFC 8414 metadata's `grant_types_supported`. */
export const GRANT_TYPES_SUPPORTED: readonly string[] = GRANTS.map((grant) => grant.grantType);

const HOW = `use ${GRANT_TYPES_SUPPORTED.join(' or ')}`;

/**
 * POST /oauth2/token (RFC 6749 §3.2), as a pipeline of named steps: the form, the grant it names,
 * the client authenticated, then the grant's own handler. Throws OAuthError for every refusal (or
 * rejects with it, once a step had to wait). With warm caches and no DPoP proof it answers at once.
 */
export function handleTokenRequest(request: OAuthRequest, context: OAuthContext): Eventually<TokenResponse> {
  const parameters = readForm(request);
  const grant = grantFor(parameters);
  return andThen(authenticateCaller(request, parameters, context), (client) =>
    andThen(dpopKey(request, client, context), (jkt) => {
      const x5t = boundCertificate(request, client);
      const cnf = jkt === undefined && x5t === undefined ? undefined : confirmation(jkt, x5t);
      return grant.handler(client, parameters, context, cnf);
    }),
  );
}

/**
 * The thumbprint of the client certificate the token is bound to (RFC 8705 §3), whatever method
 * authenticated the client; asked only of an application whose tokens are bound.
 */
function boundCertificate(request: OAuthRequest, client: Client): string | undefined {
  if (!client.certificateBound) return undefined;
  const presented = request.clientCertificate();
  if (presented === undefined) {
    throw invalidRequest(
      'this application’s tokens are bound to its TLS client certificate (tls_client_certificate_bound_access_tokens): present one',
    );
  }
  return certificateThumbprint(presented);
}

function confirmation(jkt: string | undefined, x5t: string | undefined): Confirmation {
  return { ...(jkt !== undefined && { jkt }), ...(x5t !== undefined && { 'x5t#S256': x5t }) };
}

/** The key a DPoP proof shows (RFC 9449 §4.3), checked; a proof is required of a client bound to DPoP. */
function dpopKey(
  request: OAuthRequest,
  client: Client,
  context: OAuthContext,
): Eventually<string | undefined> {
  if (Array.isArray(request.dpop)) throw invalidDpopProof('send one DPoP header, not several');
  if (request.dpop === undefined) {
    if (client.dpopBound)
      throw invalidDpopProof('this application must send a DPoP proof (dpop_bound_access_tokens)');
    return undefined;
  }
  return verifyDpopProof(request.dpop, { htm: 'POST', htu: `${context.issuer}${TOKEN_PATH}` }, context);
}

/** The grant the request's `grant_type` names (RFC 6749 §5.2: missing or unknown is refused). */
function grantFor(parameters: FormParameters): Grant {
  const grantType = parameters.get('grant_type');
  if (grantType === undefined) throw invalidRequest(`grant_type is missing: ${HOW}`);
  const grant = GRANTS.find((candidate) => candidate.grantType === grantType);
  if (grant === undefined) {
    throw unsupportedGrantType(`grant_type '${grantType.slice(0, 64)}' is not supported: ${HOW}`);
  }
  return grant;
}
