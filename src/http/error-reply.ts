import type { FastifyBaseLogger, FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../domain/domain-error.js';
import { invalidRequest, OAuthError, serverError } from '../oauth/errors.js';
import { NO_STORE_NO_CACHE } from './headers.js';

const RETRY_AFTER_UNAVAILABLE_SECONDS = 5;

/** Writes an OAuthError as the RFC 6749 §5.2 JSON body with its status and headers. */
export function sendOAuthError(reply: FastifyReply, error: OAuthError): FastifyReply {
  return reply
    .code(error.status)
    .headers({ ...NO_STORE_NO_CACHE, ...error.headers })
    .send(error.toJSON());
}

/** The private detail of a refused request, for its access log line (the answer never shows it). */
const refusalDetails = new WeakMap<FastifyRequest, string>();

/** What the log may know of a refusal that the client must not: unknown client or wrong secret. */
export function refusalDetail(request: FastifyRequest): string | undefined {
  return refusalDetails.get(request);
}

/**
 * The OAuth surface's one error handler: OAuth errors as they are, a database outage as 503,
 * Fastify's own 4xx (body too large, bad Content-Length) in the same shape, anything else as a
 * generic server_error whose detail only the log sees. An error's private detail goes to the access
 * log line, never to the answer.
 */
export function handleError(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const refusal = oauthRefusal(error, request.log, request.routeOptions.bodyLimit);
  if (refusal.detail !== undefined) refusalDetails.set(request, refusal.detail);
  return sendOAuthError(reply, refusal);
}

/**
 * Any error of the OAuth surface as the OAuthError its answer shows (see handleError), free of the
 * framework so that the fast path maps errors by the same rules; unexpected ones are logged here.
 */
export function oauthRefusal(error: Error, log: FastifyBaseLogger, bodyLimit: number): OAuthError {
  if (error instanceof OAuthError) return error;
  if (error instanceof DomainError && error.code === 'unavailable') {
    log.warn({ err: error }, 'database out of reach');
    return new OAuthError('temporarily_unavailable', `${error.message}; retry shortly`, 503, {
      'Retry-After': String(RETRY_AFTER_UNAVAILABLE_SECONDS),
    });
  }
  const status = 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : 500;
  if (status === 413) return invalidRequest(`the request body is larger than ${bodyLimit} bytes`, 413);
  if (status >= 400 && status < 500) return invalidRequest(error.message, status);
  log.error({ err: error }, 'unexpected error');
  return serverError();
}
