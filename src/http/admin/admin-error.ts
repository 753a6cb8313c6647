import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../domain/domain-error.js';
import { NO_STORE } from '../headers.js';

/** The admin API's error codes, each with its HTTP status. */
export const ADMIN_ERRORS = {
  invalid_request: 400,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  too_many_requests: 429,
  server_error: 500,
  unavailable: 503,
} as const;
export type AdminErrorCode = keyof typeof ADMIN_ERRORS;

/** An admin API refusal: `{ "error": code, "message": what is wrong }`. */
export class AdminError extends Error {
  override name = 'AdminError';
  constructor(
    readonly code: AdminErrorCode,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

const DOMAIN_CODES: Record<DomainError['code'], AdminErrorCode> = {
  invalid: 'invalid_request',
  not_found: 'not_found',
  conflict: 'conflict',
  unavailable: 'unavailable',
};

/** The admin context's one error handler: every refusal in one JSON shape, never a stack trace. */
export function handleAdminError(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const refusal = toAdminError(error);
  if (refusal.code === 'server_error') request.log.error({ err: error }, 'unexpected error in the admin API');
  return reply
    .code(ADMIN_ERRORS[refusal.code])
    .headers({ ...NO_STORE, ...refusal.headers })
    .send({ error: refusal.code, message: refusal.message });
}

function toAdminError(error: FastifyError | Error): AdminError {
  if (error instanceof AdminError) return error;
  if (error instanceof DomainError) return new AdminError(DOMAIN_CODES[error.code], error.message);
  const status = 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : 500;
  if (status === 413) return new AdminError('payload_too_large', error.message);
  if (status === 415)
    return new AdminError('unsupported_media_type', 'send the request body as application/json');
  if (status >= 400 && status < 500) return new AdminError('invalid_request', error.message);
  return new AdminError('server_error', 'the server met an unexpected condition; the request can be retried');
}
