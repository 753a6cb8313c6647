import { OAUTH_ERROR_CODES } from '../../oauth/errors.js';
import { errorSchema } from '../admin/schemas.js';
import { adminPaths } from './admin-paths.js';
import { tokenRequestSchema, tokenResponseSchema } from './contract-schemas.js';
import { json, ok, ref } from './openapi-parts.js';

const oauthError = (description: string) => ({ description, content: json(ref('OAuthError')) });
const form = (schema: object) => ({
  required: true,
  content: { 'application/x-www-form-urlencoded': { schema } },
});

/**
 * The OpenAPI 3.1 description served at /openapi.json: of the public endpoints, and with `admin` of
 * the admin API too (the whole document, where the admin API is served).
 */
export function openApiDocument(issuer: string, options: { admin: boolean }): object {
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
    tags: [
      { name: 'Authentication' },
      { name: 'Discovery' },
      { name: 'Health' },
      ...(options.admin ? [{ name: 'Admin' }] : []),
    ],
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
      ...(options.admin && adminPaths()),
    },
    components: {
      securitySchemes: {
        clientSecretBasic: {
          type: 'http',
          scheme: 'basic',
          description: 'client_id:client_secret, form-encoded first',
        },
        ...(options.admin && {
          adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' },
        }),
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
        ...(options.admin && { AdminError: errorSchema }),
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
