import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AccessTokenClaims } from './claims.js';
import { createGuard, type GuardOptions } from './guard.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified claims of the request's access token (set by leanAuthFastify). */
    accessToken?: AccessTokenClaims;
  }
}

/**
 * A Fastify plugin: every route of the context it is registered in needs a valid access token with
 * `options.scope`, and is answered 401 or 403 with a `WWW-Authenticate: Bearer` challenge otherwise
 * (RFC 6750), or a `DPoP` one for a DPoP-bound token (RFC 9449). The claims are on `request.accessToken`.
 */
export async function leanAuthFastify(
  app: FastifyInstance,
  options: GuardOptions<FastifyRequest>,
): Promise<void> {
  const guard = createGuard(options);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const outcome = await guard.check(request, request.headers.authorization, {
      method: request.method,
      url: `${options.origin ?? `${request.protocol}://${request.host}`}${request.url}`,
      dpop: request.headers.dpop,
    });
    if ('claims' in outcome) {
      request.accessToken = outcome.claims;
      return;
    }
    const { status, wwwAuthenticate, body } = outcome.refusal;
    return reply
      .code(status)
      .header('www-authenticate', wwwAuthenticate)
      .header('cache-control', 'no-store')
      .send(body);
  });
}

// Like fastify-plugin: the hook applies to the context that registers the plugin, not a child of it.
Object.assign(leanAuthFastify, { [Symbol.for('skip-override')]: true });
