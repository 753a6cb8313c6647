import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { FastifyBaseLogger } from 'fastify';
import { andThen, type Eventually } from '../../domain/eventually.js';
import { nextDpopNonce } from '../../oauth/dpop.js';
import { OAuthError } from '../../oauth/errors.js';
import { handleTokenRequest } from '../../oauth/grants/index.js';
import { handleIntrospection } from '../../oauth/introspection.js';
import type { OAuthContext, OAuthRequest } from '../../oauth/ports.js';
import { handleRevocation } from '../../oauth/revocation.js';
import { accessLineWritten, logCompleted } from '../access-log.js';
import type { ClientCertificateSources } from '../client-certificate.js';
import { oauthRefusal } from '../error-reply.js';
import type { Metrics } from '../metrics.js';
import { oauthRequest } from '../oauth-request.js';
import { lazyChildLoggerFactory } from '../request-logger.js';
import { callerAddress, type forwardedForFilter, type ProxyTrust } from '../trusted-proxies.js';
import { type Answer, answerWith, errorAnswer, jsonAnswer, tokenAnswer } from './answers.js';
import { formPost, type OAuthEndpoint, readBody } from './form-post.js';

export interface FastPathOptions {
  readonly context: OAuthContext;
  readonly metrics: Metrics;
  /** The server's logger: request loggers are its children, with the request id. */
  readonly logger: FastifyBaseLogger;
  readonly requestId: () => string;
  readonly bodyLimit: number;
  /** TRUST_PROXY's trust, and the server's X-Forwarded-For filter; both unset without it. */
  readonly proxies: { trust: ProxyTrust; filter: ReturnType<typeof forwardedForFilter> } | undefined;
  /** Served over our own TLS: answers carry HSTS, as the framework's do. */
  readonly hsts: boolean;
  /** Whether the server is stopping (answers then close their connection). */
  readonly closing: () => boolean;
  /** Where client certificates come from (our TLS, a trusted proxy's Client-Cert header). */
  readonly certificates: ClientCertificateSources;
}

/** The answer at once when the endpoint needed no wait (a token from warm caches), else later. */
type Endpoint = (request: OAuthRequest, options: FastPathOptions) => Eventually<Answer>;

/** The three endpoints as the framework's routes (routes/oauth-routes.ts) serve them. */
const ENDPOINTS: Readonly<Record<OAuthEndpoint, Endpoint>> = {
  '/oauth2/token': (request, { context, metrics }) =>
    andThen(handleTokenRequest(request, context), (response) => {
      metrics.tokenIssued(response.scope);
      return tokenAnswer(response, nextDpopNonce(request, context));
    }),
  '/oauth2/introspect': async (request, { context }) =>
    jsonAnswer(await handleIntrospection(request, context)),
  '/oauth2/revoke': async (request, { context }) => {
    await handleRevocation(request, context);
    return { status: 200, body: undefined, headers: undefined };
  },
};

/**
 * A node:http request listener in front of the framework: it answers a form POST to the token,
 * introspection or revocation endpoint itself, through the same framework-free OAuth functions,
 * error model, access log and metrics as the framework's routes, and hands every other request to
 * `next` (the framework). What it saves is the framework's routing, hooks and reply per token.
 */
export function oauthFastPath(options: FastPathOptions, next: RequestListener): RequestListener {
  const { logger, requestId, bodyLimit, proxies } = options;
  const sourceIp = proxies ? (raw: IncomingMessage) => callerAddress(raw, proxies.trust) : undefined;
  return (raw, res) => {
    const post = formPost(raw, bodyLimit);
    if (post === undefined) {
      next(raw, res);
      return;
    }
    const started = performance.now();
    const log = lazyChildLoggerFactory.call(undefined as never, logger, { reqId: requestId() }, {}, raw);
    proxies?.filter(raw.headers, log);
    readBody(raw, post.length, (error, body) => {
      if (error) {
        reply(raw, res, options, log, started, refuse(error, log, options));
        return;
      }
      const request = oauthRequest(
        raw,
        body,
        () => (sourceIp ? sourceIp(raw) : (raw.socket.remoteAddress as string)),
        options.certificates,
      );
      let answer: Eventually<Answer>;
      try {
        answer = ENDPOINTS[post.endpoint](request, options);
      } catch (failure) {
        answer = refuse(failure as Error, log, options);
      }
      if (answer instanceof Promise) {
        answer.then(
          (later) => reply(raw, res, options, log, started, later),
          (failure: Error) => reply(raw, res, options, log, started, refuse(failure, log, options)),
        );
      } else reply(raw, res, options, log, started, answer);
    });
  };
}

/** An error as the framework's error handler answers it (error-reply.ts), counted as it counts it. */
function refuse(error: Error, log: FastifyBaseLogger, { metrics, bodyLimit }: FastPathOptions): Answer {
  if (error instanceof OAuthError) metrics.oauthError(error.error);
  return errorAnswer(oauthRefusal(error, log, bodyLimit));
}

function reply(
  raw: IncomingMessage,
  res: ServerResponse,
  { hsts, closing }: FastPathOptions,
  log: FastifyBaseLogger,
  started: number,
  answer: Answer,
): void {
  // The fast path never hands logCompleted an error: with no line to write, nothing to wait for.
  if (accessLineWritten(log)) {
    res.once('finish', () =>
      logCompleted(log, null, {
        method: raw.method,
        url: raw.url,
        status: answer.status,
        elapsedMs: performance.now() - started,
        detail: answer.detail,
      }),
    );
  }
  answerWith(res, answer, hsts, closing());
}
