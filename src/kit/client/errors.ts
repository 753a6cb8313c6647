/**
 * The server refused the token request (RFC 6749 §5.2): `error` and `error_description` are the
 * server's. The message never holds the client secret.
 */
export class TokenRequestError extends Error {
  override name = 'TokenRequestError';
  constructor(
    readonly error: string,
    readonly errorDescription: string | undefined,
    readonly status: number,
  ) {
    super(errorDescription === undefined ? error : `${error}: ${errorDescription}`);
  }
}

/** The server could not be reached or kept failing (network, timeout, 5xx, a 429 without an OAuth error) after every retry. */
export class TokenServerUnavailableError extends Error {
  override name = 'TokenServerUnavailableError';
}
