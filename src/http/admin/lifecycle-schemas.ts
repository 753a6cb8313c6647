/**
 * JSON Schemas of the admin API's ends of life: deleting applications and customers, withdrawing a
 * signing key. Like schemas.ts, Fastify enforces them and /openapi.json publishes them.
 */
import { SIGNING_KEY_STATES } from '../../domain/signing-key-states.js';
import { signingKeySchema, uuid } from './schemas.js';

export const deletedApplicationSchema = {
  type: 'object',
  required: ['client_id', 'customers_deleted'],
  properties: {
    client_id: uuid,
    customers_deleted: { type: 'integer', description: 'how many of its customers were deleted with it' },
  },
} as const;

export const deletedCustomerSchema = {
  type: 'object',
  required: ['customer_id', 'client_id'],
  properties: { customer_id: uuid, client_id: { ...uuid, description: 'the application it belonged to' } },
} as const;

export const withdrawnKeySchema = {
  type: 'object',
  required: ['kid', 'state', 'replacement'],
  properties: {
    kid: { type: 'string' },
    state: {
      type: 'string',
      enum: SIGNING_KEY_STATES,
      description: 'what the key was when it was withdrawn',
    },
    replacement: {
      oneOf: [signingKeySchema, { type: 'null' }],
      description: 'the key that signs from now on, when the withdrawn key signed or was to sign next',
    },
  },
} as const;

export const kidParams = {
  type: 'object',
  required: ['kid'],
  properties: { kid: { type: 'string', maxLength: 80 } },
} as const;
