import type { FastifyInstance, FastifySchema } from 'fastify';
import { JWKS_MAX_AGE_SECONDS } from '../../domain/signing-keys.js';
import { JWKS_PATH } from '../../oauth/endpoint-paths.js';
import { authorizationServerMetadata, type MtlsSupport } from '../../oauth/metadata.js';
import { jwksSchema } from '../openapi/oauth-schemas.js';

export interface WellKnownOptions {
  readonly issuer: string;
  readonly jwks: () => object;
  readonly mtls?: MtlsSupport | undefined;
}

/** The JWKS (RFC 7517) and the authorization server metadata (RFC 8414, and its OpenID twin). */
export async function wellKnownRoutes(app: FastifyInstance, options: WellKnownOptions): Promise<void> {
  const metadata = authorizationServerMetadata(options.issuer, options.mtls);
  const discovery = (summary: string, description: string, schema: object): FastifySchema => ({
    tags: ['Discovery'],
    summary,
    'x-responses': { 200: { description, schema } },
  });
  app.get(
    JWKS_PATH,
    { schema: discovery('RFC 7517 JWK Set', 'Public keys', jwksSchema) },
    async (_request, reply) =>
      reply.header('Cache-Control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`).send(options.jwks()),
  );
  for (const [path, summary] of [
    ['/.well-known/oauth-authorization-server', 'RFC 8414 metadata'],
    ['/.well-known/openid-configuration', 'The RFC 8414 metadata at the path many client libraries look for'],
  ] as const) {
    app.get(path, { schema: discovery(summary, 'Metadata', { type: 'object' }) }, async (_request, reply) =>
      reply.header('Cache-Control', 'public, max-age=3600').send(metadata),
    );
  }
}
