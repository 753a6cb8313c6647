import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { invalidRequest } from '../oauth/errors.js';
import { AdminError, handleAdminError } from './admin/admin-error.js';
import { sendOAuthError } from './error-reply.js';
import { NO_STORE_NO_CACHE, NOSNIFF } from './headers.js';

export interface AdminSurface {
  readonly prefix: string;
  /** Throws an AdminError when the request lacks the admin token. */
  readonly authenticate: (request: FastifyRequest) => Promise<void>;
}

/*
 * The HTTP level's answers, for what reaches no route handler of ours: a path the router refuses,
 * a path no route serves, a request Node's parser refuses. Each is answered in the shape of the
 * surface it was meant for (the OAuth and admin surfaces' own error handlers where there is one).
 */

/**
 * Fastify's `frameworkErrors`: what its router refuses before any hook or handler of ours runs (a
 * path it cannot percent-decode, a path segment over its maxParamLength). The answer has the shape
 * and headers of the surface the request was meant for, without echoing the path, and under the
 * admin prefix the admin token is checked first, as for any other admin path.
 */
export function answerFrameworkError(admin: AdminSurface | undefined) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    reply.headers(NOSNIFF);
    const description =
      error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? 'a segment of the request path is too long'
        : 'the request path has an invalid percent-encoding';
    if (admin && isUnder(request.url, admin.prefix)) {
      admin.authenticate(request).then(
        () => handleAdminError(new AdminError('invalid_request', description), request, reply),
        (refusal: Error) => handleAdminError(refusal, request, reply),
      );
      return;
    }
    sendOAuthError(reply, invalidRequest(description));
  };
}

/** A path no route of ours serves: named, without its query string, never echoed in full. */
export async function answerNotFound(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  return reply
    .code(404)
    .header('Cache-Control', 'no-store')
    .send({
      error: 'not_found',
      error_description: `no route for ${request.method} ${request.url.split('?', 1)[0]?.slice(0, 200)}`,
    });
}

function isUnder(url: string, prefix: string): boolean {
  return url === prefix || url.startsWith(`${prefix}/`) || url.startsWith(`${prefix}?`);
}

const CLIENT_ERRORS: Readonly<Record<string, { status: number; description: string }>> = {
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, description: 'the request did not arrive in full in time' },
  HPE_HEADER_OVERFLOW: { status: 431, description: 'the request headers are too large' },
};

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser refuses before Fastify sees a request (too
 * large headers, a request that arrives too slowly, broken HTTP), answered like any other refusal
 * of ours, in the RFC 6749 shape with nosniff and no-store, and the connection closed.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection, or one already gone: there is no one to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, description } = CLIENT_ERRORS[error.code ?? ''] ?? {
    status: 400,
    description: 'the request is not valid HTTP/1.1',
  };
  const body = JSON.stringify(invalidRequest(description, status).toJSON());
  const headers = {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    ...NOSNIFF,
    ...NO_STORE_NO_CACHE,
    Connection: 'close',
  };
  if (socket.writable) {
    const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${head.join('')}\r\n${body}`);
  }
  socket.destroy(error);
}
