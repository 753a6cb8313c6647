import type { FastifyInstance, FastifyRequest, FastifySchema } from 'fastify';
import { nextDpopNonce } from '../../oauth/dpop.js';
import { INTROSPECTION_PATH, REVOCATION_PATH, TOKEN_PATH } from '../../oauth/endpoint-paths.js';
import { OAuthError } from '../../oauth/errors.js';
import { handleTokenRequest } from '../../oauth/grants/index.js';
import { handleIntrospection } from '../../oauth/introspection.js';
import type { OAuthContext, OAuthRequest } from '../../oauth/ports.js';
import { handleRevocation } from '../../oauth/revocation.js';
import type { ClientCertificateSources } from '../client-certificate.js';
import { NO_STORE_NO_CACHE } from '../headers.js';
import type { Metrics } from '../metrics.js';
import { oauthRequest } from '../oauth-request.js';
import { tokenRequestSchema, tokenResponseSchema } from '../openapi/contract-schemas.js';
import { introspectionSchema, tokenParameterSchema } from '../openapi/oauth-schemas.js';

/** An OAuth request is a few hundred bytes (a token to introspect, a few KiB); anything near this is not one. */
export const OAUTH_BODY_LIMIT = 16 * 1024;

/** The framework's request as the OAuth layer sees it (see oauthRequest). */
function fromRoute(request: FastifyRequest, certificates: ClientCertificateSources): OAuthRequest {
  return oauthRequest(
    request.raw,
    Buffer.isBuffer(request.body) ? request.body : undefined,
    () => request.ip,
    certificates,
  );
}

/** POST /oauth2/token as the contract describes it (the form is read by our own parser). */
const tokenSchema: FastifySchema = {
  tags: ['Authentication'],
  operationId: 'generateAccessToken',
  summary: 'Lean Generate Access Token',
  description:
    'Exchange client_id and client_secret for a JWT access token (RFC 6749 §4.4, RFC 9068). The ' +
    'credentials may instead be sent with HTTP Basic (client_secret_basic), but never both ways.',
  'x-form-body': tokenRequestSchema,
  response: { 200: tokenResponseSchema },
  'x-responses': {
    200: { description: 'Token issued successfully' },
    400: { description: 'Invalid request (invalid_request, unsupported_grant_type, invalid_scope)' },
    401: { description: 'Invalid credentials (invalid_client)' },
    405: { description: 'Method not allowed' },
    413: { description: 'Request body too large' },
  },
};

const introspectionRouteSchema: FastifySchema = {
  tags: ['Authentication'],
  summary: 'RFC 7662 token introspection, for the token owner or a resource-server application',
  'x-form-body': tokenParameterSchema,
  'x-responses': {
    200: { description: 'Active token members, or exactly {"active": false}', schema: introspectionSchema },
  },
};

const revocationRouteSchema: FastifySchema = {
  tags: ['Authentication'],
  summary: 'RFC 7009 token revocation, by the application the token was issued to',
  'x-form-body': tokenParameterSchema,
  'x-responses': {
    200: { description: 'Revoked, or the token was not valid anyway (empty body)' },
    400: { description: 'Invalid request, or unauthorized_client for another application’s token' },
  },
};

/**
 * The token, introspection and revocation endpoints, in a context of their own that takes every
 * body raw and parses forms itself.
 */
export async function oauthRoutes(
  app: FastifyInstance,
  {
    context,
    metrics,
    certificates,
  }: { context: OAuthContext; metrics: Metrics; certificates: ClientCertificateSources },
): Promise<void> {
  const toOAuth = (request: FastifyRequest) => fromRoute(request, certificates);
  // Our parser decides about every content type, so a JSON body gets an RFC 6749 error, not Fastify's.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: OAUTH_BODY_LIMIT }, (_request, body, done) =>
    done(null, body),
  );

  // The response schema lets Fastify serialise the token response with a compiled serializer.
  app.post(TOKEN_PATH, { schema: tokenSchema }, async (request, reply) => {
    const oauthRequest = toOAuth(request);
    const response = await handleTokenRequest(oauthRequest, context);
    metrics.tokenIssued(response.scope);
    const nonce = nextDpopNonce(oauthRequest, context);
    if (nonce !== undefined) reply.headers(nonce);
    return reply.headers(NO_STORE_NO_CACHE).send(response);
  });
  app.post(INTROSPECTION_PATH, { schema: introspectionRouteSchema }, async (request, reply) =>
    reply.headers(NO_STORE_NO_CACHE).send(await handleIntrospection(toOAuth(request), context)),
  );
  app.post(REVOCATION_PATH, { schema: revocationRouteSchema }, async (request, reply) => {
    await handleRevocation(toOAuth(request), context);
    return reply.headers(NO_STORE_NO_CACHE).send();
  });

  // Any other method is a client's mistake worth naming (OPTIONS too: no browser calls these).
  for (const path of [TOKEN_PATH, INTROSPECTION_PATH, REVOCATION_PATH]) {
    app.route({
      method: ['GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      url: path,
      handler: async (request) => {
        throw new OAuthError('invalid_request', `${request.method} is not allowed here: use POST`, 405, {
          Allow: 'POST',
        });
      },
    });
  }
}
