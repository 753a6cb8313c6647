import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { TokenResponse } from '../../oauth/access-token.js';
import type { OAuthError } from '../../oauth/errors.js';

/** A fast-path answer before it is written: what the framework's reply would have carried. */
export interface Answer {
  readonly status: number;
  /** JSON text, or nothing (revocation's empty 200). */
  readonly body: string | undefined;
  /** Headers beyond the common ones (WWW-Authenticate, Allow, Retry-After), names in lower case. */
  readonly headers: Readonly<Record<string, string>> | undefined;
  /** The refusal's private detail, for the access log alone. */
  readonly detail?: string | undefined;
}

/**
 * The token response in the order of its response schema, as the framework's compiled serializer
 * writes it: four known members, so no generic serialisation is needed.
 */
export function tokenAnswer(response: TokenResponse, extra?: Readonly<Record<string, string>>): Answer {
  const body =
    `{"access_token":${JSON.stringify(response.access_token)},"token_type":${JSON.stringify(response.token_type)},` +
    `"expires_in":${Math.trunc(response.expires_in)},"scope":${JSON.stringify(response.scope)}}`;
  return { status: 200, body, headers: extra && lowerCased(extra) };
}

export function jsonAnswer(value: unknown): Answer {
  return { status: 200, body: JSON.stringify(value), headers: undefined };
}

/** The RFC 6749 §5.2 answer for a refusal, as sendOAuthError writes it. */
export function errorAnswer(error: OAuthError): Answer {
  const headers = lowerCased(error.headers);
  return { status: error.status, body: JSON.stringify(error.toJSON()), headers, detail: error.detail };
}

/** Header names in lower case, as the framework sends them; undefined when there are none. */
function lowerCased(given: Readonly<Record<string, string>>): Record<string, string> | undefined {
  let headers: Record<string, string> | undefined;
  for (const [name, value] of Object.entries(given)) {
    headers ??= {};
    headers[name.toLowerCase()] = value;
  }
  return headers;
}

/**
 * Writes an answer with the headers every OAuth answer of the framework carries (nosniff, HSTS over
 * our own TLS, no-store and no-cache), in its order and lower case, and `Connection: close` while
 * the server stops, as the framework's router does.
 */
export function answerWith(res: ServerResponse, answer: Answer, hsts: boolean, closing: boolean): void {
  const headers: OutgoingHttpHeaders = { 'x-content-type-options': 'nosniff' };
  if (hsts) headers['strict-transport-security'] = 'max-age=31536000';
  headers['cache-control'] = 'no-store';
  headers.pragma = 'no-cache';
  if (answer.headers) Object.assign(headers, answer.headers);
  if (closing) headers.connection = 'close';
  if (answer.body === undefined) {
    headers['content-length'] = '0';
    res.writeHead(answer.status, headers).end();
    return;
  }
  headers['content-type'] = 'application/json; charset=utf-8';
  headers['content-length'] = String(Buffer.byteLength(answer.body));
  res.writeHead(answer.status, headers).end(answer.body);
}
