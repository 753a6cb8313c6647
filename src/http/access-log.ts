import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { refusalDetail } from './error-reply.js';
import { LEVEL_VALUES } from './request-logger.js';

/** What the access log keeps of a path: every route of ours is far shorter. */
const MAX_LOGGED_PATH = 200;

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
    // Skip building the line at all when it would not be written (LOG_LEVEL above info).
    if (!error && (LEVEL_VALUES[reply.log.level] ?? 0) > LEVEL_VALUES.info) return;
    const line = {
      method: request.method,
      // Cut: a path can be as long as the request line (16 KiB), and every line is kept.
      path: request.url.split('?', 1)[0]?.slice(0, MAX_LOGGED_PATH),
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      // Why a request was refused, when the answer may not say (unknown client or wrong secret).
      detail: refusalDetail(request),
    };
    if (error) reply.log.error({ ...line, err: error }, 'request failed');
    else reply.log.info(line, 'request completed');
  }
}
