/**
 * The error codes lean-auth answers with: RFC 6749 §5.2, plus the two of §4.1.2.1 for what is not
 * the client's fault: `server_error` (unexpected) and `temporarily_unavailable` (throttled, or the
 * database out of reach).
 */
export const OAUTH_ERROR_CODES = [
  'invalid_request',
  'invalid_client',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'server_error',
  'temporarily_unavailable',
  'invalid_dpop_proof',
  'use_dpop_nonce',
] as const;
export type OAuthErrorCode = (typeof OAUTH_ERROR_CODES)[number];

/**
 * An OAuth error answer: the RFC code, an HTTP status, and a description safe to show the client;
 * and, for the log alone, a private detail the answer must not give away (oidc-provider's
 * `err_out`): which of "unknown client" and "wrong secret" it was, for one.
 */
export class OAuthError extends Error {
  override name = 'OAuthError';
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    readonly status: number,
    /** Extra response headers, such as WWW-Authenticate or Allow. */
    readonly headers: Readonly<Record<string, string>> = {},
    /** For the log only, never the response. */
    readonly detail?: string,
  ) {
    super(`${error}: ${description}`);
  }

  /** The RFC 6749 §5.2 response body. */
  toJSON(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.error, error_description: this.description };
  }
}

export const invalidRequest = (description: string, status = 400): OAuthError =>
  new OAuthError('invalid_request', description, status);

/**
 * RFC 6749 §5.2: 401, and a Basic challenge when the client tried HTTP Basic (`basicTried`), as
 * the RFC requires in that case.
 */
export const invalidClient = (description: string, basicTried: boolean, detail?: string): OAuthError =>
  new OAuthError(
    'invalid_client',
    description,
    401,
    basicTried ? { 'WWW-Authenticate': 'Basic realm="lean-auth", charset="UTF-8"' } : {},
    detail,
  );

export const unsupportedGrantType = (description: string): OAuthError =>
  new OAuthError('unsupported_grant_type', description, 400);

export const invalidScope = (description: string): OAuthError =>
  new OAuthError('invalid_scope', description, 400);

/** Anything unexpected: the detail goes to the log, never to the client. */
export const serverError = (): OAuthError =>
  new OAuthError('server_error', 'the server met an unexpected condition; the request can be retried', 500);
