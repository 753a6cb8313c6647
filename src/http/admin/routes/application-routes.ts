import type { FastifyInstance } from 'fastify';
import type { JSONWebKeySet } from 'jose';
import type { ApplicationSettings } from '../../../domain/applications.js';
import { TLS_SUBJECT_FIELDS, type TlsSubjectField } from '../../../domain/tls-client-auth.js';
import { applicationView, nextAfter } from '../../../domain/views.js';
import { ADMIN_ACTOR, type AdminOptions, emptyBodyIsEmptyObject } from '../admin-context.js';
import { deletedApplicationSchema } from '../lifecycle-schemas.js';
import {
  applicationSchema,
  clientIdParams,
  createApplicationBody,
  createdApplicationSchema,
  pageQuerySchema,
  pageSchema,
  rotatedSecretSchema,
  rotateSecretBody,
  updateApplicationBody,
} from '../schemas.js';

interface SettingsBody extends Partial<Record<TlsSubjectField, string | null>> {
  name?: string;
  token_classes?: string[];
  api_token_ttl?: number | null;
  customer_token_ttl?: number | null;
  resource_server?: boolean;
  token_endpoint_auth_method?: string | null;
  jwks?: JSONWebKeySet | null;
  jwks_uri?: string | null;
  dpop_bound_access_tokens?: boolean;
  tls_client_certificate_bound_access_tokens?: boolean;
}
type ClientIdParams = { client_id: string };
type PageQuery = { limit: number; after?: string };

function settings(body: SettingsBody): ApplicationSettings {
  return {
    name: body.name,
    tokenClasses: body.token_classes,
    apiTokenTtl: body.api_token_ttl,
    customerTokenTtl: body.customer_token_ttl,
    resourceServer: body.resource_server,
    tokenEndpointAuthMethod: body.token_endpoint_auth_method,
    jwks: body.jwks,
    jwksUri: body.jwks_uri,
    tlsSubject: Object.fromEntries(TLS_SUBJECT_FIELDS.map((field) => [field, body[field]])),
    dpopBoundAccessTokens: body.dpop_bound_access_tokens,
    certificateBoundAccessTokens: body.tls_client_certificate_bound_access_tokens,
  };
}

const ok = (schema: object) => ({ 200: schema });

/**
 * /admin/v1/applications: register, list, read, change, disable, enable, rotate the secret, delete.
 */
export async function applicationRoutes(
  app: FastifyInstance,
  { applications, deletions, bodyLimit }: AdminOptions & { bodyLimit: number },
): Promise<void> {
  app.post<{ Body: SettingsBody & { name: string } }>(
    '/applications',
    {
      bodyLimit,
      schema: {
        tags: ['Admin'],
        summary: 'Register an application; the client_secret is in this response only',
        'x-responses': { 409: { description: 'Conflict' } },
        body: createApplicationBody,
        response: { 201: createdApplicationSchema },
      },
    },
    async (request, reply) => {
      const { application, clientSecret } = await applications.create(
        { ...settings(request.body), name: request.body.name },
        ADMIN_ACTOR,
      );
      return reply.code(201).send({ ...applicationView(application), client_secret: clientSecret });
    },
  );

  app.get<{ Querystring: PageQuery }>(
    '/applications',
    {
      schema: {
        tags: ['Admin'],
        summary: 'List applications',
        querystring: pageQuerySchema,
        response: ok(pageSchema(applicationSchema)),
      },
    },
    async (request) => {
      const items = await applications.list(request.query);
      return {
        items: items.map(applicationView),
        next_after: nextAfter(items, request.query.limit, (a) => a.clientId),
      };
    },
  );

  app.get<{ Params: ClientIdParams }>(
    '/applications/:client_id',
    {
      schema: {
        tags: ['Admin'],
        summary: 'Read an application',
        params: clientIdParams,
        response: ok(applicationSchema),
      },
    },
    async (request) => applicationView(await applications.get(request.params.client_id)),
  );

  app.patch<{ Params: ClientIdParams; Body: SettingsBody }>(
    '/applications/:client_id',
    {
      bodyLimit,
      schema: {
        tags: ['Admin'],
        summary:
          'Change name, token classes, lifetimes, the resource-server flag or how the application authenticates',
        params: clientIdParams,
        body: updateApplicationBody,
        response: ok(applicationSchema),
      },
    },
    async (request) =>
      applicationView(
        await applications.update(request.params.client_id, settings(request.body), ADMIN_ACTOR),
      ),
  );

  app.delete<{ Params: ClientIdParams }>(
    '/applications/:client_id',
    {
      schema: {
        tags: ['Admin'],
        summary:
          'Delete an application for good, with its secrets and customers, in one transaction. Its tokens stop introspecting as active; its client_id is never used again; the audit log keeps that it happened and the ids, not the deleted data',
        params: clientIdParams,
        response: ok(deletedApplicationSchema),
      },
    },
    async (request) => {
      const deleted = await deletions.deleteApplication(request.params.client_id, ADMIN_ACTOR);
      return { client_id: deleted.clientId, customers_deleted: deleted.customersDeleted };
    },
  );

  app.post<{ Params: ClientIdParams }>(
    '/applications/:client_id/disable',
    {
      schema: {
        tags: ['Admin'],
        summary: 'Stop issuing tokens to an application',
        params: clientIdParams,
        response: ok(applicationSchema),
      },
    },
    async (request) => applicationView(await applications.disable(request.params.client_id, ADMIN_ACTOR)),
  );

  app.post<{ Params: ClientIdParams }>(
    '/applications/:client_id/enable',
    {
      schema: {
        tags: ['Admin'],
        summary: 'Issue tokens to an application again',
        params: clientIdParams,
        response: ok(applicationSchema),
      },
    },
    async (request) => applicationView(await applications.enable(request.params.client_id, ADMIN_ACTOR)),
  );

  app.post<{ Params: ClientIdParams; Body: { grace_seconds?: number } | undefined }>(
    '/applications/:client_id/rotate-secret',
    {
      bodyLimit,
      preValidation: emptyBodyIsEmptyObject,
      schema: {
        tags: ['Admin'],
        summary: 'New client secret (shown once); the previous one works until the grace deadline',
        params: clientIdParams,
        body: rotateSecretBody,
        response: ok(rotatedSecretSchema),
      },
    },
    async (request) => {
      const rotated = await applications.rotateSecret(
        request.params.client_id,
        { graceSeconds: request.body?.grace_seconds },
        ADMIN_ACTOR,
      );
      return {
        client_id: request.params.client_id,
        client_secret: rotated.clientSecret,
        previous_secret_expires_at:
          rotated.previousSecretExpiresAt === null
            ? null
            : new Date(rotated.previousSecretExpiresAt).toISOString(),
      };
    },
  );
}
