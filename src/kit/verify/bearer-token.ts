import { BearerTokenError, MissingTokenError } from './errors.js';

// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * The access token of an `Authorization` header (RFC 6750 §2.1). No header is MissingTokenError (a
 * bare challenge); any other scheme, a malformed token or a repeated header is invalid_request.
 */
export function bearerToken(authorization: string | readonly string[] | undefined): string {
  if (authorization === undefined || authorization === '') throw new MissingTokenError();
  if (typeof authorization !== 'string') {
    throw new BearerTokenError('invalid_request', 'the request has more than one Authorization header');
  }
  const match = BEARER.exec(authorization);
  if (!match?.[1]) {
    throw new BearerTokenError(
      'invalid_request',
      /^Bearer\b/i.test(authorization)
        ? 'the Authorization header does not hold one bearer token'
        : 'the Authorization header is not a Bearer credential',
    );
  }
  return match[1];
}
