import type { IncomingMessage } from 'node:http';
import { INTROSPECTION_PATH, REVOCATION_PATH, TOKEN_PATH } from '../../oauth/endpoint-paths.js';

export type OAuthEndpoint = typeof TOKEN_PATH | typeof INTROSPECTION_PATH | typeof REVOCATION_PATH;

const ENDPOINTS: ReadonlySet<string> = new Set([TOKEN_PATH, INTROSPECTION_PATH, REVOCATION_PATH]);

/** A form as clients send it; anything else (JSON, another charset, no type) is for the router to refuse. */
const FORM_TYPE = /^application\/x-www-form-urlencoded(?:; ?charset="?utf-8"?)?$/i;

/** Content-Length as digits only; what else Node lets through is the router's to judge. */
const LENGTH = /^\d{1,9}$/;

/** A form POST to an OAuth endpoint, as the fast path takes it. */
export interface FormPost {
  readonly endpoint: OAuthEndpoint;
  /** The body's announced length, at most the body limit. */
  readonly length: number;
}

/**
 * Whether the fast path takes this request: a POST of a form to one of the three OAuth endpoints,
 * with a Content-Length within `bodyLimit` and no Transfer-Encoding. Everything else (other methods,
 * paths and bodies, a body too large, a chunked one) goes to the framework, whose answers the fast
 * path then never has to copy: it reads the body only when Node will hand over exactly its length.
 */
export function formPost(request: IncomingMessage, bodyLimit: number): FormPost | undefined {
  if (request.method !== 'POST') return undefined;
  const { url = '', headers } = request;
  const queryStart = url.indexOf('?');
  const path = queryStart === -1 ? url : url.slice(0, queryStart);
  if (!ENDPOINTS.has(path)) return undefined;
  const contentType = headers['content-type'];
  if (contentType === undefined || !FORM_TYPE.test(contentType)) return undefined;
  const contentLength = headers['content-length'];
  if (contentLength === undefined || headers['transfer-encoding'] !== undefined) return undefined;
  if (!LENGTH.test(contentLength)) return undefined;
  const length = Number(contentLength);
  if (length > bodyLimit) return undefined;
  return { endpoint: path as OAuthEndpoint, length };
}

/** Fastify's message when a body ends short of its Content-Length, kept word for word. */
const LENGTH_MISMATCH = 'Request body size did not match Content-Length';

/** A failed body read, as Fastify reports it to the error handler (a status for the refusal). */
class BodyError extends Error {
  readonly statusCode = 400;
}

/**
 * Reads a body of `length` bytes (Node delivers no more than Content-Length): the one chunk as it
 * came, which is nearly always all of it, or the chunks joined; a connection lost midway, or a body
 * that ends short, is a BodyError as in the framework. The listeners stay on the request, which is
 * done with once they fired: removing them would cost more per request than they ever hold.
 */
export function readBody(
  request: IncomingMessage,
  length: number,
  done: (error: Error | null, body?: Buffer) => void,
): void {
  let first: Buffer | undefined;
  let more: Buffer[] | undefined;
  let received = 0;
  let settled = false;
  request.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (first === undefined) {
      first = chunk;
      return;
    }
    more ??= [first];
    more.push(chunk);
  });
  const onEnd = (error?: Error) => {
    if (settled) return;
    settled = true;
    if (error) done(new BodyError(error.message));
    else if (received !== length) done(new BodyError(LENGTH_MISMATCH));
    else done(null, more ? Buffer.concat(more, received) : (first ?? Buffer.alloc(0)));
  };
  request.on('end', onEnd);
  request.on('error', onEnd);
}
