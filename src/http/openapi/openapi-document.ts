import { errorSchema } from '../admin/schemas.js';
import { tokenRequestSchema, tokenResponseSchema } from './contract-schemas.js';
import { introspectionSchema, jwksSchema, oauthErrorSchema, tokenParameterSchema } from './oauth-schemas.js';
import { type DescribedRoute, type DocumentedResponse, TAGS, type Tag } from './route-catalogue.js';

type Schema = NonNullable<DescribedRoute['schema']>;

/** Schemas the document names in its components, found by identity wherever a route uses them. */
const COMPONENTS = new Map<object, string>([
  [tokenRequestSchema, 'TokenRequest'],
  [tokenResponseSchema, 'TokenResponse'],
  [oauthErrorSchema, 'OAuthError'],
  [tokenParameterSchema, 'TokenParameter'],
  [introspectionSchema, 'Introspection'],
  [jwksSchema, 'JWKS'],
  [errorSchema, 'AdminError'],
]);

/** What every operation of a surface shares: how callers authenticate, and how it refuses. */
const SURFACES: Partial<Record<Tag, { security: object[]; error: object; errors: Record<number, string> }>> =
  {
    Authentication: {
      security: [{}, { clientSecretBasic: [] }],
      error: oauthErrorSchema,
      errors: { 400: 'Invalid request', 401: 'Invalid credentials' },
    },
    Admin: {
      security: [{ adminToken: [] }],
      error: errorSchema,
      errors: {
        400: 'Invalid request: malformed JSON, unknown field, wrong type, bad paging',
        401: 'Missing or wrong admin token',
        404: 'Unknown id or path',
        429: 'A wrong admin token, after too many from this address this minute (Retry-After)',
      },
    },
  };

const SUCCESS: Record<string, string> = { 200: 'OK', 201: 'Created' };
const json = (schema: object) => ({ 'application/json': { schema } });

/**
 * The OpenAPI 3.1 description served at /openapi.json, assembled from the routes' own schemas:
 * of the public endpoints, and with `admin` of the admin API too (where the admin API is served).
 */
export function openApiDocument(
  issuer: string,
  routes: readonly DescribedRoute[],
  options: { admin: boolean },
): object {
  const described = routes.filter((route) => options.admin || !route.schema.tags?.includes('Admin'));
  const paths: Record<string, Record<string, object>> = {};
  for (const route of described) {
    const path = route.url.replace(/:([A-Za-z_]+)/g, '{$1}');
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation(route.schema) };
  }
  const named = withReferences(paths) as typeof paths;
  const text = JSON.stringify(named);
  const referenced = [...COMPONENTS].filter(([, name]) => text.includes(`#/components/schemas/${name}"`));
  return {
    openapi: '3.1.0',
    info: {
      title: 'lean-auth',
      version: '1.0',
      description:
        'The Lean Authentication API (POST /oauth2/token) and what surrounds it: JWKS, RFC 8414 metadata, ' +
        `RFC 7662 introspection, RFC 7009 revocation, health${options.admin ? ', and the admin API' : ''}.`,
    },
    servers: [{ url: issuer }],
    tags: TAGS.filter((tag) => described.some((route) => route.schema.tags?.includes(tag))).map((name) => ({
      name,
    })),
    paths: named,
    components: {
      securitySchemes: {
        ...(text.includes('"clientSecretBasic"') && {
          clientSecretBasic: {
            type: 'http',
            scheme: 'basic',
            description: 'client_id:client_secret, form-encoded first',
          },
        }),
        ...(text.includes('"adminToken"') && {
          adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' },
        }),
      },
      schemas: Object.fromEntries(referenced.map(([schema, name]) => [name, schema])),
    },
  };
}

/** One operation from one route's schema, with what its surface adds. */
function operation(schema: Schema): object {
  const surface = SURFACES[schema.tags?.[0] ?? 'Discovery'];
  const parameters = [...fields(schema.params, 'path'), ...fields(schema.querystring, 'query')];
  const responses: Record<string, object> = {};
  for (const [status, body] of Object.entries((schema.response ?? {}) as Record<string, object>)) {
    responses[status] = { description: SUCCESS[status] ?? 'OK', content: json(body) };
  }
  for (const [status, description] of Object.entries(surface?.errors ?? {})) {
    responses[status] = { description, content: json(surface?.error ?? {}) };
  }
  for (const [status, documented] of Object.entries(schema['x-responses'] ?? {})) {
    responses[status] = response(
      responses[status],
      documented,
      Number(status) >= 400 ? surface?.error : undefined,
    );
  }
  return {
    ...(schema.tags && { tags: schema.tags }),
    ...(schema.operationId && { operationId: schema.operationId }),
    summary: schema.summary,
    ...(schema.description && { description: schema.description }),
    ...(surface && { security: surface.security }),
    ...(parameters.length > 0 && { parameters }),
    ...(schema.body !== undefined && {
      requestBody: { required: bodyRequired(schema.body), content: json(schema.body as object) },
    }),
    ...(schema['x-form-body'] && {
      requestBody: {
        required: true,
        content: { 'application/x-www-form-urlencoded': { schema: schema['x-form-body'] } },
      },
    }),
    responses,
  };
}

/** A documented response over what the route's schema (or its surface) says about the same status. */
function response(known: object | undefined, documented: DocumentedResponse, error?: object): object {
  const content =
    documented.content ??
    (documented.schema
      ? json(documented.schema)
      : ((known as { content?: object })?.content ?? (error && json(error))));
  return { description: documented.description, ...(content && { content }) };
}

/** The path or query parameters of a route, from its params or querystring schema. */
function fields(schema: unknown, where: 'path' | 'query'): object[] {
  const { properties = {}, required = [] } = (schema ?? {}) as {
    properties?: Record<string, object>;
    required?: readonly string[];
  };
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || required.includes(name),
    schema: property,
  }));
}

/** A body is required when it must have a field; the optional ones (`{}` or none) are not. */
function bodyRequired(body: unknown): boolean {
  const { required = [], minProperties = 0 } = body as {
    required?: readonly string[];
    minProperties?: number;
  };
  return required.length > 0 || minProperties > 0;
}

/** A copy of `value` with every component schema replaced by a reference to it. */
function withReferences(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const name = COMPONENTS.get(value);
  if (name !== undefined) return { $ref: `#/components/schemas/${name}` };
  if (Array.isArray(value)) return value.map(withReferences);
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withReferences(item)]));
}
