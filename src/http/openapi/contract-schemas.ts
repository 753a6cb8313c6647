/**
 * The token endpoint's schemas exactly as the Lean Authentication API contract states them
 * (openapi/lean-authentication-api.yml); test/http/openapi.test.ts holds them to it.
 */
export const tokenRequestSchema = {
  type: 'object',
  required: ['client_id', 'client_secret', 'grant_type', 'scope'],
  properties: {
    client_id: { type: 'string', description: 'Application ID from the Lean Application Dashboard.' },
    client_secret: { type: 'string', description: 'Client secret from the Lean Application Dashboard.' },
    grant_type: { type: 'string', enum: ['client_credentials'] },
    scope: {
      type: 'string',
      description: 'api for backend access, or customer.<customer_id> for SDK access.',
      examples: ['api', 'customer.a1b2c3d4-e5f6-7890-abcd-ef0123456789'],
    },
  },
} as const;

/** The contract's TokenResponse, plus the `scope` RFC 6749 §5.1 lets the server return. */
export const tokenResponseSchema = {
  type: 'object',
  required: ['access_token', 'token_type', 'expires_in', 'scope'],
  properties: {
    access_token: { type: 'string', description: 'Signed JWT access token.' },
    token_type: { type: 'string', example: 'bearer' },
    expires_in: { type: 'integer', description: 'Lifetime of the access token in seconds.' },
    scope: { type: 'string', description: 'The scope granted: api or customer.<customer_id>.' },
  },
} as const;
