import { BearerTokenError, MissingTokenError } from './errors.js';

// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token; RFC 9449 §7.1 the same with "DPoP".
const BEARER = /^(Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * The access token of an `Authorization` header (RFC 6750 §2.1, RFC 9449 §7.1) and its scheme. No
 * header is MissingTokenError (a bare challenge); any other scheme, a malformed token or a repeated
 * header is invalid_request.
 */
export function presentedToken(authorization: string | readonly string[] | undefined): {
  scheme: 'Bearer' | 'DPoP';
  token: string;
} {
  if (authorization === undefined || authorization === '') throw new MissingTokenError();
  if (typeof authorization !== 'string') {
    throw new BearerTokenError('invalid_request', 'the request has more than one Authorization header');
  }
  const match = BEARER.exec(authorization);
  if (!match?.[1] || !match[2]) {
    throw new BearerTokenError(
      'invalid_request',
      /^(Bearer|DPoP)\b/i.test(authorization)
        ? 'the Authorization header does not hold one access token'
        : 'the Authorization header is not a Bearer or DPoP credential',
    );
  }
  return { scheme: match[1].toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer', token: match[2] };
}
