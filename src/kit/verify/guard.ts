import { presentedToken } from './bearer-token.js';
import type { AccessTokenClaims, ScopeRequirement } from './claims.js';
import { BearerTokenError, MissingTokenError } from './errors.js';
import { type AccessTokenVerifier, createAccessTokenVerifier, type VerifierOptions } from './verifier.js';

/** Options of the Fastify plugin and the Express middleware. */
export interface GuardOptions<Request> extends VerifierOptions {
  /**
   * The scope a request needs: `api`, or `customer.<customer_id>` (often from the request, e.g.
   * `(request) => \`customer.${request.params.customerId}\``). Omitted: any valid token.
   */
  readonly scope?: string | ((request: Request) => string);
  /** The realm named in WWW-Authenticate challenges. */
  readonly realm?: string;
  /**
   * The origin clients call this resource server at (https://api.example.com), for the DPoP `htu`
   * check behind a proxy that rewrites it. Default: the request's protocol and Host.
   */
  readonly origin?: string;
  /** A verifier to share between guards; by default one is made from these options. */
  readonly verifier?: AccessTokenVerifier;
}

/** An answer refusing a request (RFC 6750 §3): status, WWW-Authenticate, and a JSON body. */
export interface Refusal {
  readonly status: number;
  readonly wwwAuthenticate: string;
  readonly body: { error: string; error_description: string };
}

/** What the guard needs of the HTTP request beyond its Authorization header, for DPoP (RFC 9449 §4.3). */
export interface RequestTarget {
  readonly method: string;
  /** The URL as the client called it: the origin (`origin`, or the request's) and the path. */
  readonly url: string;
  readonly dpop: string | readonly string[] | undefined;
}

/** The framework-free heart of the plugin and the middleware. */
export interface Guard<Request> {
  /** The claims of the request's token, or the refusal to answer with. */
  check(
    request: Request,
    authorization: string | readonly string[] | undefined,
    target?: RequestTarget,
  ): Promise<{ claims: AccessTokenClaims } | { refusal: Refusal }>;
}

export function createGuard<Request>(options: GuardOptions<Request>): Guard<Request> {
  const verifier = options.verifier ?? createAccessTokenVerifier(options);
  return {
    async check(request, authorization, target) {
      try {
        const scope = typeof options.scope === 'function' ? options.scope(request) : options.scope;
        const requirement: ScopeRequirement = scope === undefined ? {} : { scope };
        const { scheme, token } = presentedToken(authorization);
        const presented = { scheme, proof: target?.dpop, method: target?.method, url: target?.url };
        return { claims: await verifier.verify(token, requirement, presented) };
      } catch (error) {
        if (error instanceof MissingTokenError) {
          const body = { error: 'invalid_token', error_description: error.message };
          return { refusal: { status: 401, wwwAuthenticate: error.wwwAuthenticate(options.realm), body } };
        }
        if (error instanceof BearerTokenError) {
          const body = { error: error.code, error_description: error.description };
          return {
            refusal: { status: error.status, wwwAuthenticate: error.wwwAuthenticate(options.realm), body },
          };
        }
        throw error;
      }
    },
  };
}
