import type { JSONWebKeySet } from 'jose';
import { MAX_TOKEN_LIFETIME, MIN_API_TOKEN_LIFETIME, MIN_CUSTOMER_TOKEN_LIFETIME } from '../config/limits.js';
import {
  type ClientAuthentication,
  type TokenEndpointAuthMethod,
  validClientAuthentication,
} from './client-auth-method.js';
import { DomainError } from './domain-error.js';
import { isPlainText } from './printable.js';
import { TLS_SUBJECT_FIELDS, type TlsSubject, type TlsSubjectField } from './tls-client-auth.js';
import { TOKEN_CLASSES, type TokenClass } from './token-class.js';

/** What an operator may set on an application, and the rules each setting is held to. */
export interface ApplicationSettings {
  name?: string | undefined;
  tokenClasses?: readonly string[] | undefined;
  /** Seconds; null returns to the configured default. */
  apiTokenTtl?: number | null | undefined;
  customerTokenTtl?: number | null | undefined;
  /** May introspect every application's tokens. */
  resourceServer?: boolean | undefined;
  /** RFC 7591 name; null returns to either client secret method. */
  tokenEndpointAuthMethod?: string | null | undefined;
  jwks?: JSONWebKeySet | null | undefined;
  jwksUri?: string | null | undefined;
  /** RFC 8705 §2.1.2 subject fields as given (null clears); at most one may be non-null. */
  tlsSubject?: Partial<Record<TlsSubjectField, string | null | undefined>> | undefined;
  /** Every token request must carry a DPoP proof. */
  dpopBoundAccessTokens?: boolean | undefined;
  /** Tokens are bound to the client certificate of the request (RFC 8705 §3). */
  certificateBoundAccessTokens?: boolean | undefined;
}

export const NO_CLIENT_AUTHENTICATION: ClientAuthentication = {
  tokenEndpointAuthMethod: null,
  jwks: null,
  jwksUri: null,
  tlsSubject: null,
};

export function changesClientAuthentication(settings: ApplicationSettings): boolean {
  return (
    settings.tokenEndpointAuthMethod !== undefined ||
    settings.jwks !== undefined ||
    settings.jwksUri !== undefined ||
    givenTlsFields(settings).length > 0
  );
}

/**
 * The settings laid over what the application has, checked as a whole. Keys a new method has no
 * use for are dropped unless given again, so moving back to client secrets is one setting.
 */
export function clientAuthentication(
  settings: ApplicationSettings,
  before: ClientAuthentication,
): ClientAuthentication {
  const method =
    settings.tokenEndpointAuthMethod === undefined
      ? before.tokenEndpointAuthMethod
      : (settings.tokenEndpointAuthMethod as TokenEndpointAuthMethod | null);
  const keep = method === before.tokenEndpointAuthMethod;
  return validClientAuthentication({
    tokenEndpointAuthMethod: method,
    jwks: settings.jwks !== undefined ? settings.jwks : keep ? before.jwks : null,
    jwksUri: settings.jwksUri !== undefined ? settings.jwksUri : keep ? before.jwksUri : null,
    tlsSubject: givenTlsFields(settings).length > 0 ? tlsSubject(settings) : keep ? before.tlsSubject : null,
  });
}

function givenTlsFields(settings: ApplicationSettings): TlsSubjectField[] {
  const given = settings.tlsSubject ?? {};
  return TLS_SUBJECT_FIELDS.filter((field) => given[field] !== undefined);
}

/** The one subject field given a value (the others given null, or not at all); all null clears it. */
function tlsSubject(settings: ApplicationSettings): TlsSubject | null {
  const given = settings.tlsSubject ?? {};
  const set = TLS_SUBJECT_FIELDS.filter((field) => typeof given[field] === 'string');
  if (set.length > 1) {
    throw new DomainError(
      'invalid',
      `give exactly one of ${set.join(' and ')}: a certificate is matched by one subject`,
    );
  }
  const [field] = set;
  return field === undefined ? null : { field, value: String(given[field]) };
}

export function validName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > 200 || !isPlainText(trimmed)) {
    throw new DomainError(
      'invalid',
      'name must be 1 to 200 characters of Unicode text, none of them control characters',
    );
  }
  return trimmed;
}

export function validTokenClasses(classes: readonly string[]): TokenClass[] {
  const unknown = classes.filter((c) => !(TOKEN_CLASSES as readonly string[]).includes(c));
  if (unknown.length > 0) {
    throw new DomainError(
      'invalid',
      `unknown token class '${unknown[0]}': use ${TOKEN_CLASSES.join(' or ')}`,
    );
  }
  if (classes.length === 0) throw new DomainError('invalid', 'an application needs at least one token class');
  return TOKEN_CLASSES.filter((c) => classes.includes(c));
}

export function validLifetime(tokenClass: TokenClass, seconds: number | null): number | null {
  if (seconds === null) return null;
  const min = tokenClass === 'customer' ? MIN_CUSTOMER_TOKEN_LIFETIME : MIN_API_TOKEN_LIFETIME;
  if (!Number.isInteger(seconds) || seconds < min || seconds > MAX_TOKEN_LIFETIME) {
    const why =
      tokenClass === 'customer'
        ? ` (the LinkSDK refuses a customer token with less than ${MIN_CUSTOMER_TOKEN_LIFETIME} seconds of validity left)`
        : '';
    throw new DomainError(
      'invalid',
      `${tokenClass} token lifetime must be a whole number of seconds from ${min} to ${MAX_TOKEN_LIFETIME}, got ${seconds}${why}`,
    );
  }
  return seconds;
}
