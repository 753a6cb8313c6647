import { ADMIN_PREFIX } from '../admin/admin-routes.js';
import * as lifecycle from '../admin/lifecycle-schemas.js';
import * as admin from '../admin/schemas.js';
import { json, ok, ref } from './openapi-parts.js';

const adminError = (description: string) => ({ description, content: json(ref('AdminError')) });

const ADMIN_ERRORS = {
  400: adminError('Invalid request: malformed JSON, unknown field, wrong type, bad paging'),
  401: adminError('Missing or wrong admin token'),
  404: adminError('Unknown id or path'),
  429: adminError('A wrong admin token, after too many from this address this minute (Retry-After)'),
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
const params = (...names: string[]) => ({
  parameters: names.map((name) => ({
    name,
    in: 'path',
    required: true,
    schema: name === 'kid' ? { type: 'string' } : { type: 'string', format: 'uuid' },
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

/** The admin API's paths, under /admin/v1: only where the admin API is served. */
export function adminPaths() {
  return {
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
      delete: adminOperation(
        'Delete an application for good, with its secrets and customers, in one transaction. Its ' +
          'tokens stop introspecting as active; its client_id is never used again; the audit log keeps ' +
          'that it happened and the ids, not the deleted data',
        { 200: ok('What was deleted', lifecycle.deletedApplicationSchema) },
        params('client_id'),
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
      delete: adminOperation(
        'Delete a customer (an end user’s data, on request) for good. Its tokens stop introspecting as ' +
          'active; its customer_id is never used again; the audit log keeps the ids, not the app_user_id',
        { 200: ok('What was deleted', lifecycle.deletedCustomerSchema) },
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
          409: adminError('Rotations kept coming first: try again'),
        },
        body(admin.rotateKeyBody),
      ),
    },
    [`${ADMIN_PREFIX}/keys/{kid}/withdraw`]: {
      post: adminOperation(
        'Withdraw a compromised signing key: it leaves the JWKS at once and the tokens it signed ' +
          'introspect as inactive; if it signed (or was next), a new key signs from now on',
        {
          200: ok('The withdrawn key and its replacement', lifecycle.withdrawnKeySchema),
          409: adminError('Rotations kept coming first: try again'),
        },
        params('kid'),
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
  };
}
