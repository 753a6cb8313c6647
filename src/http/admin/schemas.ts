/**
 * JSON Schemas of the admin API: Fastify validates requests with them, and /openapi.json
 * publishes them, so the documentation cannot drift from what the server enforces.
 */
import { MAX_SECRET_GRACE_SECONDS } from '../../config/limits.js';
import { MAX_JWKS_KEYS, TOKEN_ENDPOINT_AUTH_METHODS } from '../../domain/client-auth-method.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../domain/page.js';
import { NO_CONTROL_CHARACTERS_PATTERN } from '../../domain/printable.js';
import { SIGNING_KEY_STATES } from '../../domain/signing-key-states.js';
import { STATUSES } from '../../domain/status.js';
import { TLS_SUBJECT_FIELDS, type TlsSubjectField } from '../../domain/tls-client-auth.js';
import { TOKEN_CLASSES } from '../../domain/token-class.js';
import { UUID_PATTERN } from '../../domain/uuid.js';

/** Text without control characters (PostgreSQL cannot store NUL; none belongs in these fields). */
const text = (maxLength: number, minLength = 0) =>
  ({ type: 'string', minLength, maxLength, pattern: NO_CONTROL_CHARACTERS_PATTERN }) as const;

export const uuid = { type: 'string', pattern: UUID_PATTERN } as const;
const timestamp = { type: 'string', description: 'ISO 8601 time (UTC)' } as const;
const nullableTimestamp = { type: ['string', 'null'], description: 'ISO 8601 time (UTC), or null' } as const;
const tokenClasses = {
  type: 'array',
  items: { type: 'string', enum: TOKEN_CLASSES },
  minItems: 1,
  uniqueItems: true,
} as const;
const lifetime = { type: ['integer', 'null'], description: 'seconds; null for the server default' } as const;

const tokenEndpointAuthMethod = {
  type: ['string', 'null'],
  enum: [...TOKEN_ENDPOINT_AUTH_METHODS, null],
  description: 'RFC 7591; null for either client_secret_basic or client_secret_post',
} as const;
const jwksSchema = {
  type: ['object', 'null'],
  description: 'the public keys private_key_jwt assertions are signed with (RFC 7517 JWK Set)',
  required: ['keys'],
  properties: {
    keys: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_JWKS_KEYS,
      items: { type: 'object', required: ['kty'], additionalProperties: true },
    },
  },
  additionalProperties: true,
} as const;
const jwksUriSchema = { type: ['string', 'null'], maxLength: 2000 } as const;
/** RFC 8705 §2.1.2: one of these names the certificate a tls_client_auth application presents. */
const tlsSubjectSchemas = Object.fromEntries(
  TLS_SUBJECT_FIELDS.map((field) => [
    field,
    { type: ['string', 'null'], maxLength: 1000, description: 'RFC 8705 §2.1.2; tls_client_auth only' },
  ]),
) as Record<TlsSubjectField, { type: ['string', 'null']; maxLength: 1000; description: string }>;
const certificateBound = {
  type: 'boolean',
  description: 'RFC 8705 §3: tokens bound to the TLS client certificate of the request (cnf.x5t#S256)',
} as const;

export const errorSchema = {
  type: 'object',
  required: ['error', 'message'],
  properties: { error: { type: 'string' }, message: { type: 'string' } },
} as const;

export const applicationSchema = {
  type: 'object',
  required: [
    'client_id',
    'name',
    'status',
    'token_classes',
    'api_token_ttl',
    'customer_token_ttl',
    'resource_server',
    'token_endpoint_auth_method',
    'jwks',
    'jwks_uri',
    ...TLS_SUBJECT_FIELDS,
    'dpop_bound_access_tokens',
    'tls_client_certificate_bound_access_tokens',
    'created_at',
    'updated_at',
  ],
  properties: {
    client_id: uuid,
    name: { type: 'string' },
    status: { type: 'string', enum: STATUSES },
    token_classes: tokenClasses,
    api_token_ttl: lifetime,
    customer_token_ttl: lifetime,
    resource_server: { type: 'boolean' },
    token_endpoint_auth_method: tokenEndpointAuthMethod,
    jwks: jwksSchema,
    jwks_uri: jwksUriSchema,
    ...tlsSubjectSchemas,
    dpop_bound_access_tokens: { type: 'boolean' },
    tls_client_certificate_bound_access_tokens: certificateBound,
    created_at: timestamp,
    updated_at: timestamp,
  },
} as const;

export const createdApplicationSchema = {
  ...applicationSchema,
  required: [...applicationSchema.required, 'client_secret'],
  properties: {
    ...applicationSchema.properties,
    client_secret: { type: 'string', description: 'shown only in this response' },
  },
} as const;

export const customerSchema = {
  type: 'object',
  required: ['customer_id', 'client_id', 'app_user_id', 'status', 'created_at'],
  properties: {
    customer_id: uuid,
    client_id: uuid,
    app_user_id: { type: 'string' },
    status: { type: 'string', enum: STATUSES },
    created_at: timestamp,
  },
} as const;

export const signingKeySchema = {
  type: 'object',
  required: ['kid', 'alg', 'state', 'created_at', 'activates_at', 'expires_at'],
  properties: {
    kid: { type: 'string' },
    alg: { type: 'string' },
    state: { type: 'string', enum: SIGNING_KEY_STATES },
    created_at: timestamp,
    activates_at: timestamp,
    expires_at: nullableTimestamp,
  },
} as const;

export const auditEventSchema = {
  type: 'object',
  required: ['id', 'at', 'actor', 'action', 'target_type', 'target_id', 'detail'],
  properties: {
    id: uuid,
    at: timestamp,
    actor: { type: 'string' },
    action: { type: 'string' },
    target_type: { type: 'string' },
    target_id: { type: ['string', 'null'] },
    detail: { type: 'object', additionalProperties: true },
  },
} as const;

export const pageQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE },
    after: { ...text(80), description: 'the last id of the previous page' },
  },
} as const;

/** A page of items; `next_after` is the `after` of the next page, null on the last. */
export function pageSchema(item: object) {
  return {
    type: 'object',
    required: ['items', 'next_after'],
    properties: { items: { type: 'array', items: item }, next_after: { type: ['string', 'null'] } },
  } as const;
}

const applicationSettingsProperties = {
  name: text(200, 1),
  token_classes: tokenClasses,
  api_token_ttl: lifetime,
  customer_token_ttl: lifetime,
  resource_server: { type: 'boolean' },
  token_endpoint_auth_method: tokenEndpointAuthMethod,
  jwks: jwksSchema,
  jwks_uri: jwksUriSchema,
  ...tlsSubjectSchemas,
  dpop_bound_access_tokens: { type: 'boolean' },
  tls_client_certificate_bound_access_tokens: certificateBound,
} as const;

export const createApplicationBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: applicationSettingsProperties,
} as const;

export const updateApplicationBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: applicationSettingsProperties,
} as const;

export const rotateSecretBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    grace_seconds: {
      type: 'integer',
      minimum: 0,
      maximum: MAX_SECRET_GRACE_SECONDS,
      description: 'how long the previous secret keeps working; default SECRET_ROTATION_GRACE; 0 = at once',
    },
  },
} as const;

export const rotatedSecretSchema = {
  type: 'object',
  required: ['client_id', 'client_secret', 'previous_secret_expires_at'],
  properties: {
    client_id: uuid,
    client_secret: { type: 'string', description: 'shown only in this response' },
    previous_secret_expires_at: nullableTimestamp,
  },
} as const;

export const createCustomerBody = {
  type: 'object',
  additionalProperties: false,
  required: ['app_user_id'],
  properties: { app_user_id: text(255, 1) },
} as const;

export const rotateKeyBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    now: {
      type: 'boolean',
      description: 'sign with the new key at once, skipping pre-publication (emergency)',
    },
  },
} as const;

export const auditQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...pageQuerySchema.properties,
    action: text(64),
    actor: text(200),
    target_id: text(80),
    since: { ...text(40), description: 'ISO 8601 time: events at or after it' },
    until: { ...text(40), description: 'ISO 8601 time: events before it' },
  },
} as const;

export const clientIdParams = {
  type: 'object',
  required: ['client_id'],
  properties: { client_id: { type: 'string', maxLength: 80 } },
} as const;

export const customerIdParams = {
  type: 'object',
  required: ['customer_id'],
  properties: { customer_id: { type: 'string', maxLength: 80 } },
} as const;
