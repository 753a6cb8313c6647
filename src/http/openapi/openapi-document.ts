import { OAUTH_ERROR_CODES } from '../../oauth/errors.js';
import { ADMIN_PREFIX } from '../admin/admin-routes.js';
import * as admin from '../admin/schemas.js';
import { tokenRequestSchema, tokenResponseSchema } from './contract-schemas.js';

const json = (schema: object) => ({ 'application/json': { schema } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const oauthError = (description: string) => ({ description, content: json(ref('OAuthError')) });
const adminError = (description: string) => ({ description, content: json(ref('AdminError')) });
const form = (schema: object) => ({
  required: true,
  content: { 'application/x-www-form-urlencoded': { schema } },
});

const ADMIN_ERRORS = {
  400: adminError('Invalid request: malformed JSON, unknown field, wrong type, bad paging'),
  401: adminError('Missing or wrong admin token'),
  404: adminError('Unknown id or path'),
};

/** One admin operation: JSON in and out, behind the admin token. */
function adminOperation(summary: string, responses: Record<number, object>, extra: object = {}) {
  return {
    tags: ['Admin'],
    summary,
    security: [{ adminToken: [] }],
    responses: { ...responses, ...ADMIN_ERRORS },
    ...extra,
  };
}
const ok = (description: string, schema: object) => ({ description, content: json(schema) });
const params = (...names: string[]) => ({
  parameters: names.map((name) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string', format: 'uuid' },
  })),
});
const query = (schema: { properties: Record<string, object> }) => ({
  parameters: Object.entries(schema.properties).map(([name, s]) => ({
    name,
    in: 'query',
    required: false,
    schema: s,
  })),
});
const body = (schema: object) => ({ requestBody: { required: false, content: json(schema) } });

/** The OpenAPI 3.1 description of every public and admin endpoint, served at /openapi.json. */
export function openApiDocument(issuer: string): object {
  return {
    openapi: '3.1.0',
    info: {
      title: 'lean-auth',
      version: '1.0',
      description:
        'The Lean Authentication API (POST /oauth2/token) and what surrounds it: JWKS, RFC 8414 metadata, ' +
        'RFC 7662 introspection, RFC 7009 revocation, health, and the admin API.',
    },
    servers: [{ url: issuer }],
    tags: [{ name: 'Authentication' }, { name: 'Discovery' }, { name: 'Health' }, { name: 'Admin' }],
    paths: {
      '/oauth2/token': {
        post: {
          tags: ['Authentication'],
          operationId: 'generateAccessToken',
          summary: 'Lean Generate Access Token',
          description:
            'Exchange client_id and client_secret for a JWT access token (RFC 6749 §4.4, RFC 9068). The ' +
            'credentials may instead be sent with HTTP Basic (client_secret_basic), but never both ways.',
          security: [{}, { clientSecretBasic: [] }],
          requestBody: form(ref('TokenRequest')),
          responses: {
            200: ok('Token issued successfully', ref('TokenResponse')),
            400: oauthError('Invalid request (invalid_request, unsupported_grant_type, invalid_scope)'),
            401: oauthError('Invalid credentials (invalid_client)'),
            405: oauthError('Method not allowed'),
            413: oauthError('Request body too large'),
          },
        },
      },
      '/oauth2/introspect': {
        post: {
          tags: ['Authentication'],
          summary: 'RFC 7662 token introspection, for the token owner or a resource-server application',
          security: [{}, { clientSecretBasic: [] }],
          requestBody: form(ref('TokenParameter')),
          responses: {
            200: ok('Active token members, or exactly {"active": false}', ref('Introspection')),
            400: oauthError('Invalid request'),
            401: oauthError('Invalid credentials'),
          },
        },
      },
      '/oauth2/revoke': {
        post: {
          tags: ['Authentication'],
          summary: 'RFC 7009 token revocation, by the application the token was issued to',
          security: [{}, { clientSecretBasic: [] }],
          requestBody: form(ref('TokenParameter')),
          responses: {
            200: { description: 'Revoked, or the token was not valid anyway (empty body)' },
            400: oauthError('Invalid request, or unauthorized_client for another application’s token'),
            401: oauthError('Invalid credentials'),
          },
        },
      },
      '/.well-known/jwks.json': {
        get: {
          tags: ['Discovery'],
          summary: 'RFC 7517 JWK Set',
          responses: { 200: ok('Public keys', ref('JWKS')) },
        },
      },
      '/.well-known/oauth-authorization-server': {
        get: {
          tags: ['Discovery'],
          summary: 'RFC 8414 metadata',
          responses: { 200: ok('Metadata', { type: 'object' }) },
        },
      },
      '/.well-known/openid-configuration': {
        get: {
          tags: ['Discovery'],
          summary: 'The RFC 8414 metadata at the path many client libraries look for',
          responses: { 200: ok('Metadata', { type: 'object' }) },
        },
      },
      '/openapi.json': {
        get: {
          tags: ['Discovery'],
          summary: 'This document',
          responses: { 200: ok('OpenAPI 3.1', { type: 'object' }) },
        },
      },
      '/healthz': {
        get: {
          tags: ['Health'],
          summary: 'The process answers',
          responses: { 200: ok('Alive', { type: 'object' }) },
        },
      },
      '/readyz': {
        get: {
          tags: ['Health'],
          summary: 'The server can issue tokens',
          responses: { 200: ok('Ready', { type: 'object' }), 503: ok('Not ready', { type: 'object' }) },
        },
      },
      [`${ADMIN_PREFIX}/applications`]: {
        post: adminOperation(
          'Register an application; the client_secret is in this response only',
          { 201: ok('Created', admin.createdApplicationSchema), 409: adminError('Conflict') },
          { requestBody: { required: true, content: json(admin.createApplicationBody) } },
        ),
        get: adminOperation(
          'List applications',
          { 200: ok('A page', admin.pageSchema(admin.applicationSchema)) },
          query(admin.pageQuerySchema),
        ),
      },
      [`${ADMIN_PREFIX}/applications/{client_id}`]: {
        get: adminOperation(
          'Read an application',
          { 200: ok('The application', admin.applicationSchema) },
          params('client_id'),
        ),
        patch: adminOperation(
          'Change name, token classes, lifetimes or the resource-server flag',
          { 200: ok('The application', admin.applicationSchema) },
          {
            ...params('client_id'),
            requestBody: { required: true, content: json(admin.updateApplicationBody) },
          },
        ),
      },
      [`${ADMIN_PREFIX}/applications/{client_id}/disable`]: {
        post: adminOperation(
          'Stop issuing tokens to an application',
          { 200: ok('The application', admin.applicationSchema) },
          params('client_id'),
        ),
      },
      [`${ADMIN_PREFIX}/applications/{client_id}/enable`]: {
        post: adminOperation(
          'Issue tokens to an application again',
          { 200: ok('The application', admin.applicationSchema) },
          params('client_id'),
        ),
      },
      [`${ADMIN_PREFIX}/applications/{client_id}/rotate-secret`]: {
        post: adminOperation(
          'New client secret (shown once); the previous one works until the grace deadline',
          { 200: ok('The new secret', admin.rotatedSecretSchema) },
          { ...params('client_id'), ...body(admin.rotateSecretBody) },
        ),
      },
      [`${ADMIN_PREFIX}/applications/{client_id}/customers`]: {
        post: adminOperation(
          'Register a customer (end user) of the application',
          {
            201: ok('Created', admin.customerSchema),
            409: adminError('The app_user_id already has a customer'),
          },
          {
            ...params('client_id'),
            requestBody: { required: true, content: json(admin.createCustomerBody) },
          },
        ),
        get: adminOperation(
          'List the customers of an application',
          { 200: ok('A page', admin.pageSchema(admin.customerSchema)) },
          { parameters: [...params('client_id').parameters, ...query(admin.pageQuerySchema).parameters] },
        ),
      },
      [`${ADMIN_PREFIX}/customers/{customer_id}`]: {
        get: adminOperation(
          'Read a customer',
          { 200: ok('The customer', admin.customerSchema) },
          params('customer_id'),
        ),
      },
      [`${ADMIN_PREFIX}/customers/{customer_id}/disable`]: {
        post: adminOperation(
          'Stop issuing customer tokens for a customer',
          { 200: ok('The customer', admin.customerSchema) },
          params('customer_id'),
        ),
      },
      [`${ADMIN_PREFIX}/customers/{customer_id}/enable`]: {
        post: adminOperation(
          'Issue customer tokens again',
          { 200: ok('The customer', admin.customerSchema) },
          params('customer_id'),
        ),
      },
      [`${ADMIN_PREFIX}/keys`]: {
        get: adminOperation('List the published signing keys', {
          200: ok('Keys', {
            type: 'object',
            properties: { items: { type: 'array', items: admin.signingKeySchema } },
          }),
        }),
      },
      [`${ADMIN_PREFIX}/keys/rotate`]: {
        post: adminOperation(
          'Publish a new signing key (signs after pre-publication, or at once with now)',
          {
            201: ok('The new key', admin.signingKeySchema),
          },
          body(admin.rotateKeyBody),
        ),
      },
      [`${ADMIN_PREFIX}/metrics`]: {
        get: adminOperation('Prometheus metrics: tokens issued by class, OAuth refusals by code, process', {
          200: {
            description: 'Prometheus text format',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
        }),
      },
      [`${ADMIN_PREFIX}/audit`]: {
        get: adminOperation(
          'The audit log, newest first',
          { 200: ok('A page', admin.pageSchema(admin.auditEventSchema)) },
          query(admin.auditQuerySchema),
        ),
      },
    },
    components: {
      securitySchemes: {
        clientSecretBasic: {
          type: 'http',
          scheme: 'basic',
          description: 'client_id:client_secret, form-encoded first',
        },
        adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' },
      },
      schemas: {
        TokenRequest: tokenRequestSchema,
        TokenResponse: tokenResponseSchema,
        OAuthError: {
          type: 'object',
          required: ['error', 'error_description'],
          properties: {
            error: { type: 'string', enum: [...OAUTH_ERROR_CODES] },
            error_description: { type: 'string' },
          },
        },
        AdminError: admin.errorSchema,
        TokenParameter: {
          type: 'object',
          required: ['token'],
          properties: {
            token: { type: 'string' },
            token_type_hint: { type: 'string' },
            client_id: { type: 'string' },
            client_secret: { type: 'string' },
          },
        },
        Introspection: {
          type: 'object',
          required: ['active'],
          properties: {
            active: { type: 'boolean' },
            scope: { type: 'string' },
            client_id: { type: 'string' },
            sub: { type: 'string' },
            aud: { type: 'string' },
            iss: { type: 'string' },
            exp: { type: 'integer' },
            iat: { type: 'integer' },
            jti: { type: 'string' },
            token_type: { type: 'string' },
            customer_id: { type: 'string' },
          },
        },
        JWKS: {
          type: 'object',
          required: ['keys'],
          properties: { keys: { type: 'array', items: { type: 'object', required: ['kty', 'kid'] } } },
        },
      },
    },
  };
}
