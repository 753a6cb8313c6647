import type { FastifyInstance } from 'fastify';
import { JWKS_MAX_AGE_SECONDS } from '../../domain/signing-keys.js';
import { authorizationServerMetadata, JWKS_PATH } from '../../oauth/metadata.js';

export interface WellKnownOptions {
  readonly issuer: string;
  readonly jwks: () => object;
}

/** The JWKS (RFC 7517) and the authorization server metadata (RFC 8414, and its OpenID twin). */
export async function wellKnownRoutes(app: FastifyInstance, options: WellKnownOptions): Promise<void> {
  const metadata = authorizationServerMetadata(options.issuer);
  app.get(JWKS_PATH, async (_request, reply) =>
    reply.header('Cache-Control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`).send(options.jwks()),
  );
  for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    app.get(path, async (_request, reply) =>
      reply.header('Cache-Control', 'public, max-age=3600').send(metadata),
    );
  }
}
