import type { FastifyBaseLogger } from 'fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import type { TokenEndpointContext } from '../oauth/ports.js';
import { AccessLog } from './access-log.js';
import { handleError } from './error-reply.js';
import { healthRoutes } from './routes/health-routes.js';
import { TOKEN_BODY_LIMIT, tokenRoute } from './routes/token-route.js';
import { wellKnownRoutes } from './routes/well-known-routes.js';

export interface AppOptions {
  readonly logger: FastifyBaseLogger;
  readonly token: TokenEndpointContext;
  readonly jwks: () => object;
  readonly checkReady: () => Promise<void>;
}

/** The HTTP server: public OAuth routes, well-known documents and health, with one error model. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger,
    logController: new AccessLog(),
    bodyLimit: TOKEN_BODY_LIMIT,
    return503OnClosing: true,
  });

  app.setErrorHandler(handleError);
  app.setNotFoundHandler(async (request, reply) =>
    reply
      .code(404)
      .header('Cache-Control', 'no-store')
      .send({
        error: 'not_found',
        error_description: `no route for ${request.method} ${request.url.split('?', 1)[0]?.slice(0, 200)}`,
      }),
  );

  await app.register(tokenRoute, options.token);
  await app.register(wellKnownRoutes, { issuer: options.token.issuer, jwks: options.jwks });
  await app.register(healthRoutes, { checkReady: options.checkReady });
  return app;
}
