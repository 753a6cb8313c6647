import type { AccessTokenClaims } from './claims.js';
import { createGuard, type GuardOptions } from './guard.js';

/** The parts of Express's request the middleware reads (Express itself is not a dependency). */
export interface ExpressLikeRequest {
  readonly headers: Record<string, string | string[] | undefined>;
  /** Method, protocol and the URL as received, for the DPoP proof's htm and htu. */
  readonly method?: string;
  readonly protocol?: string;
  readonly originalUrl?: string;
  readonly url?: string;
  accessToken?: AccessTokenClaims;
}

/** The parts of Express's response the middleware uses. */
export interface ExpressLikeResponse {
  status(code: number): this;
  setHeader(name: string, value: string): unknown;
  json(body: unknown): unknown;
}

/**
 * An Express middleware: the request needs a valid access token with `options.scope`, or is answered
 * 401 or 403 with a `WWW-Authenticate: Bearer` challenge (RFC 6750), or a `DPoP` one for a
 * DPoP-bound token (RFC 9449). The claims are put on
 * `req.accessToken`. Anything else that goes wrong (the JWKS out of reach) goes to `next(error)`.
 */
export function requireAccessToken<Request extends ExpressLikeRequest>(options: GuardOptions<Request>) {
  const guard = createGuard(options);
  return (req: Request, res: ExpressLikeResponse, next: (error?: unknown) => void): void => {
    const origin = options.origin ?? `${req.protocol ?? 'http'}://${req.headers.host}`;
    const target = {
      method: req.method ?? 'GET',
      url: `${origin}${req.originalUrl ?? req.url ?? '/'}`,
      dpop: req.headers.dpop,
    };
    guard.check(req, req.headers.authorization, target).then((outcome) => {
      if ('claims' in outcome) {
        req.accessToken = outcome.claims;
        next();
        return;
      }
      const { status, wwwAuthenticate, body } = outcome.refusal;
      res.setHeader('WWW-Authenticate', wwwAuthenticate);
      res.setHeader('Cache-Control', 'no-store');
      res.status(status).json(body);
    }, next);
  };
}
