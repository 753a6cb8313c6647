import type { FastifyInstance } from 'fastify';
import { OAuthError } from '../../oauth/errors.js';
import { TOKEN_PATH } from '../../oauth/metadata.js';
import type { TokenEndpointContext } from '../../oauth/ports.js';
import { handleTokenRequest } from '../../oauth/token-endpoint.js';
import { NO_STORE, sendOAuthError } from '../error-reply.js';

/** A token request is a few hundred bytes; anything near this is not one. */
export const TOKEN_BODY_LIMIT = 16 * 1024;

/** POST /oauth2/token, in a context of its own that takes every body raw and parses forms itself. */
export async function tokenRoute(app: FastifyInstance, context: TokenEndpointContext): Promise<void> {
  // Our parser decides about every content type, so a JSON body gets an RFC 6749 error, not Fastify's.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: TOKEN_BODY_LIMIT }, (_request, body, done) =>
    done(null, body),
  );

  app.post(TOKEN_PATH, async (request, reply) => {
    const queryStart = request.url.indexOf('?');
    const response = await handleTokenRequest(
      {
        contentType: request.headers['content-type'],
        body: Buffer.isBuffer(request.body) ? request.body : undefined,
        authorization: request.headers.authorization,
        query: queryStart === -1 ? '' : request.url.slice(queryStart + 1),
      },
      context,
    );
    return reply.headers(NO_STORE).send(response);
  });

  app.route({
    method: ['GET', 'PUT', 'PATCH', 'DELETE'],
    url: TOKEN_PATH,
    handler: async (request, reply) =>
      sendOAuthError(
        reply.header('Allow', 'POST'),
        new OAuthError(
          'invalid_request',
          `${request.method} is not allowed here: token requests use POST`,
          405,
        ),
      ),
  });
}
