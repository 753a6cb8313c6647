import type { FastifyInstance } from 'fastify';
import { openApiDocument } from '../openapi/openapi-document.js';

export interface OpenApiOptions {
  readonly issuer: string;
  /** Whether this server carries the admin API, and so the document describes it. */
  readonly admin: boolean;
}

/**
 * GET /openapi.json: what this server answers. A public port next to an admin port of its own
 * (ADMIN_PORT) describes only the public endpoints; where the admin API is, so is its description.
 */
export async function openApiRoute(app: FastifyInstance, options: OpenApiOptions): Promise<void> {
  const document = openApiDocument(options.issuer, { admin: options.admin });
  app.get('/openapi.json', async (_request, reply) =>
    reply.header('Cache-Control', 'public, max-age=3600').send(document),
  );
}
