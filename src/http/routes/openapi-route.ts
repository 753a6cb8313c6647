import type { FastifyInstance } from 'fastify';
import { openApiDocument } from '../openapi/openapi-document.js';
import type { RouteCatalogue } from '../openapi/route-catalogue.js';

export interface OpenApiOptions {
  readonly issuer: string;
  /** Whether this server carries the admin API, and so the document describes it. */
  readonly admin: boolean;
  /** The routes of this process, which the document describes. */
  readonly catalogue: RouteCatalogue;
}

/**
 * GET /openapi.json: what this server answers, from the routes' own schemas. A public port next to
 * an admin port of its own (ADMIN_PORT) describes only the public endpoints; where the admin API
 * is, so is its description. Assembled on the first request, when every route is registered.
 */
export async function openApiRoute(app: FastifyInstance, options: OpenApiOptions): Promise<void> {
  let document: object | undefined;
  app.get(
    '/openapi.json',
    {
      schema: {
        tags: ['Discovery'],
        summary: 'This document',
        'x-responses': { 200: { description: 'OpenAPI 3.1', schema: { type: 'object' } } },
      },
    },
    async (_request, reply) => {
      document ??= openApiDocument(options.issuer, options.catalogue.routes(), { admin: options.admin });
      return reply.header('Cache-Control', 'public, max-age=3600').send(document);
    },
  );
}
