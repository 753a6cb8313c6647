import type { FastifyInstance, FastifyRequest } from 'fastify';
import { OAuthError } from '../../oauth/errors.js';
import { handleIntrospection } from '../../oauth/introspection.js';
import { INTROSPECTION_PATH, REVOCATION_PATH, TOKEN_PATH } from '../../oauth/metadata.js';
import type { OAuthContext, OAuthRequest } from '../../oauth/ports.js';
import { handleRevocation } from '../../oauth/revocation.js';
import { handleTokenRequest } from '../../oauth/token-endpoint.js';
import { sendOAuthError } from '../error-reply.js';
import { NO_STORE_NO_CACHE } from '../headers.js';
import type { Metrics } from '../metrics.js';
import { tokenResponseSchema } from '../openapi/contract-schemas.js';

/** An OAuth request is a few hundred bytes (a token to introspect, a few KiB); anything near this is not one. */
export const OAUTH_BODY_LIMIT = 16 * 1024;

function oauthRequest(request: FastifyRequest): OAuthRequest {
  const queryStart = request.url.indexOf('?');
  return {
    contentType: request.headers['content-type'],
    body: Buffer.isBuffer(request.body) ? request.body : undefined,
    authorization: request.headers.authorization,
    query: queryStart === -1 ? '' : request.url.slice(queryStart + 1),
    sourceIp: request.ip,
  };
}

/**
 * The token, introspection and revocation endpoints, in a context of their own that takes every
 * body raw and parses forms itself.
 */
export async function oauthRoutes(
  app: FastifyInstance,
  { context, metrics }: { context: OAuthContext; metrics: Metrics },
): Promise<void> {
  // Our parser decides about every content type, so a JSON body gets an RFC 6749 error, not Fastify's.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: OAUTH_BODY_LIMIT }, (_request, body, done) =>
    done(null, body),
  );

  // The response schema lets Fastify serialise the token response with a compiled serializer.
  app.post(TOKEN_PATH, { schema: { response: { 200: tokenResponseSchema } } }, async (request, reply) => {
    const response = await handleTokenRequest(oauthRequest(request), context);
    metrics.tokenIssued(response.scope);
    return reply.headers(NO_STORE_NO_CACHE).send(response);
  });
  app.post(INTROSPECTION_PATH, async (request, reply) =>
    reply.headers(NO_STORE_NO_CACHE).send(await handleIntrospection(oauthRequest(request), context)),
  );
  app.post(REVOCATION_PATH, async (request, reply) => {
    await handleRevocation(oauthRequest(request), context);
    return reply.headers(NO_STORE_NO_CACHE).send();
  });

  // Any other method is a client's mistake worth naming (OPTIONS too: no browser calls these).
  for (const path of [TOKEN_PATH, INTROSPECTION_PATH, REVOCATION_PATH]) {
    app.route({
      method: ['GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      url: path,
      handler: async (request, reply) =>
        sendOAuthError(
          reply.header('Allow', 'POST'),
          new OAuthError('invalid_request', `${request.method} is not allowed here: use POST`, 405),
        ),
    });
  }
}
