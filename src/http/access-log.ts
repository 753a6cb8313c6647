import { type FastifyBaseLogger, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { refusalDetail } from './error-reply.js';
import { LEVEL_VALUES } from './request-logger.js';

/** What the access log keeps of a path: every route of ours is far shorter. */
const MAX_LOGGED_PATH = 200;

/** One response, as the access log sees it. */
export interface CompletedRequest {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly status: number;
  /** Since the request arrived, in milliseconds. */
  readonly elapsedMs: number;
  /** Why a request was refused, when the answer may not say (unknown client or wrong secret). */
  readonly detail: string | undefined;
}

/** Whether a request's logger writes the access log line of a response that went well (LOG_LEVEL at info or below). */
export function accessLineWritten(log: FastifyBaseLogger): boolean {
  return (LEVEL_VALUES[log.level] ?? 0) <= LEVEL_VALUES.info;
}

/**
 * Writes a response's access log line to the request's logger: the one format of both the
 * framework (AccessLog) and the OAuth fast path.
 */
export function logCompleted(
  log: FastifyBaseLogger,
  error: Error | null | undefined,
  done: CompletedRequest,
): void {
  // Skip building the line at all when it would not be written (LOG_LEVEL above info).
  if (!error && !accessLineWritten(log)) return;
  const line = {
    method: done.method,
    // Cut: a path can be as long as the request line (16 KiB), and every line is kept.
    path: done.url?.split('?', 1)[0]?.slice(0, MAX_LOGGED_PATH),
    status: done.status,
    ms: Math.round(done.elapsedMs * 10) / 10,
    detail: done.detail,
  };
  if (error) log.error({ ...line, err: error }, 'request failed');
  else log.info(line, 'request completed');
}

/**
 * One log line per response, with the path but never the query string (where a careless client
 * may have put its secret) and never headers or bodies.
 */
export class AccessLog extends LogController {
  override incomingRequest(): void {}

  // The 404 shows up in requestCompleted; Fastify's own line would carry the query string.
  override routeNotFound(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    // Skip even the line's inputs when it would not be written.
    if (!error && !accessLineWritten(reply.log)) return;
    logCompleted(reply.log, error, {
      method: request.method,
      url: request.url,
      status: reply.statusCode,
      elapsedMs: reply.elapsedTime,
      detail: refusalDetail(request),
    });
  }
}
