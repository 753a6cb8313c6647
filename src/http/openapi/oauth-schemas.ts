import { OAUTH_ERROR_CODES } from '../../oauth/errors.js';

/** The RFC 6749 §5.2 error body every OAuth endpoint answers a refusal with. */
export const oauthErrorSchema = {
  type: 'object',
  required: ['error', 'error_description'],
  properties: {
    error: { type: 'string', enum: [...OAUTH_ERROR_CODES] },
    error_description: { type: 'string' },
  },
} as const;

/** The form of introspection and revocation (RFC 7662 §2.1, RFC 7009 §2.1). */
export const tokenParameterSchema = {
  type: 'object',
  required: ['token'],
  properties: {
    token: { type: 'string' },
    token_type_hint: { type: 'string' },
    client_id: { type: 'string' },
    client_secret: { type: 'string' },
  },
} as const;

/** RFC 7662 §2.2: the members of an active token, or `{"active": false}` alone. */
export const introspectionSchema = {
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
    cnf: {
      type: 'object',
      description:
        'What the token is bound to: the DPoP key (RFC 9449 §6) or the client certificate (RFC 8705 §3.1)',
      properties: { jkt: { type: 'string' }, 'x5t#S256': { type: 'string' } },
    },
  },
} as const;

/** RFC 7517 §5: the JWK Set. */
export const jwksSchema = {
  type: 'object',
  required: ['keys'],
  properties: { keys: { type: 'array', items: { type: 'object', required: ['kty', 'kid'] } } },
} as const;
