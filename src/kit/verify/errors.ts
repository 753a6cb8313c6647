/** RFC 6750 §3.1 error codes a resource server answers with, and RFC 9449 §7.1's invalid_dpop_proof. */
export type BearerErrorCode =
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'invalid_dpop_proof';

const STATUS: Record<BearerErrorCode, number> = {
  invalid_request: 400,
  invalid_token: 401,
  insufficient_scope: 403,
  invalid_dpop_proof: 401,
};

/**
 * Why a request's access token was refused (RFC 6750 §3.1). `status` and `wwwAuthenticate()` are
 * what the resource server answers with; `scope` is the scope the resource needs, on
 * insufficient_scope. `scheme` is the challenge's: `DPoP` for a refusal of a DPoP-bound token or its
 * proof (RFC 9449 §7.1).
 */
export class BearerTokenError extends Error {
  override name = 'BearerTokenError';
  readonly status: number;

  constructor(
    readonly code: BearerErrorCode,
    readonly description: string,
    readonly scope?: string,
    options?: ErrorOptions,
    readonly scheme: 'Bearer' | 'DPoP' = 'Bearer',
  ) {
    super(`${code}: ${description}`, options);
    this.status = STATUS[code];
  }

  /** The `WWW-Authenticate` challenge of this refusal. */
  wwwAuthenticate(realm?: string): string {
    return challenge(this.scheme, {
      realm,
      error: this.code,
      error_description: this.description,
      scope: this.scope,
      ...(this.scheme === 'DPoP' && { algs: DPOP_CHALLENGE_ALGS }),
    });
  }
}

/**
 * A request without any credentials: RFC 6750 §3.1 says the challenge then carries no error code.
 * Answered 401 with a bare `Bearer` challenge.
 */
export class MissingTokenError extends Error {
  override name = 'MissingTokenError';
  readonly status = 401;
  constructor() {
    super('the request carries no access token');
  }

  wwwAuthenticate(realm?: string): string {
    return challenge('Bearer', { realm });
  }
}

/** The DPoP algorithms a resource server takes, for the challenge's `algs` (RFC 9449 §7.1). */
const DPOP_CHALLENGE_ALGS = 'RS256 PS256 ES256 EdDSA Ed25519';

/** A `Bearer` or `DPoP` challenge with the given auth-params (RFC 6750 §3), quoted-string values. */
function challenge(scheme: string, params: Record<string, string | undefined>): string {
  const parts = Object.entries(params)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    // quoted-string: a backslash escapes `"` and `\`; RFC 6750 keeps the values printable ASCII.
    .map(([name, value]) => `${name}="${value.replace(/[^\x20-\x7e]/g, '?').replace(/["\\]/g, '\\$&')}"`);
  return parts.length === 0 ? scheme : `${scheme} ${parts.join(', ')}`;
}
