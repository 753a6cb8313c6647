import type { FastifyInstance, RouteOptions } from 'fastify';

/** The surfaces' tags, in the order the document lists them. */
export const TAGS = ['Authentication', 'Discovery', 'Health', 'Admin'] as const;
export type Tag = (typeof TAGS)[number];

/** A response as the document describes it beyond what Fastify's response schema says. */
export interface DocumentedResponse {
  readonly description: string;
  /** The body's schema, where Fastify has none for it (a JSON body, or `content` for another type). */
  readonly schema?: object;
  readonly content?: Record<string, { schema: object }>;
}

declare module 'fastify' {
  /** What a route says about itself for /openapi.json (the names @fastify/swagger reads too). */
  interface FastifySchema {
    summary?: string;
    description?: string;
    tags?: readonly Tag[];
    operationId?: string;
    /** The request body where our own parser reads it (the OAuth forms), for the document only. */
    'x-form-body'?: object;
    /** Responses for the document only: descriptions, and the bodies Fastify does not serialise. */
    'x-responses'?: Readonly<Record<number, DocumentedResponse>>;
  }
}

/** A route described for the document. */
export interface DescribedRoute {
  readonly method: string;
  /** The path as Fastify writes it (`/a/:id`), its prefix included. */
  readonly url: string;
  readonly schema: NonNullable<RouteOptions['schema']>;
}

/**
 * The described routes of one process: every route registered with a `summary` in its schema, on
 * every app that shares this catalogue. The public and the admin app of one process (ADMIN_PORT)
 * share one, so that the admin port's document describes both surfaces, as it always has.
 */
export class RouteCatalogue {
  readonly #routes = new Map<string, DescribedRoute>();

  /** Collects the routes registered on `app` from now on (an onRoute hook). */
  watch(app: FastifyInstance): void {
    app.addHook('onRoute', (route) => {
      if (route.schema?.summary === undefined) return;
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      for (const method of methods) {
        // Fastify adds HEAD to every GET; the document describes the GET.
        if (method === 'HEAD') continue;
        this.#routes.set(`${method} ${route.url}`, { method, url: route.url, schema: route.schema });
      }
    });
  }

  /** The routes, in the order they were registered. */
  routes(): readonly DescribedRoute[] {
    return [...this.#routes.values()];
  }
}
