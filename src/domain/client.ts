import type { JSONWebKeySet } from 'jose';
import type { Application, ClientSecret } from './application.js';
import { allowedMethods, type TokenEndpointAuthMethod } from './client-auth-method.js';
import type { TlsSubject } from './tls-client-auth.js';
import type { TokenClass } from './token-class.js';

/** What the token endpoint needs to know about a client, resolved once and kept in memory. */
export interface Client {
  readonly clientId: string;
  readonly active: boolean;
  readonly tokenClasses: ReadonlySet<TokenClass>;
  /** Lifetimes in seconds, per-application overrides already applied. */
  readonly lifetimes: Readonly<Record<TokenClass, number>>;
  readonly secrets: readonly { readonly digest: Buffer; readonly expiresAt: number | null }[];
  /** May introspect every application's tokens. */
  readonly resourceServer: boolean;
  /** The token endpoint authentication methods it may use (RFC 7591 names). */
  readonly authMethods: readonly TokenEndpointAuthMethod[];
  /** The public keys its private_key_jwt assertions are signed with; null for other methods. */
  readonly jwks: JSONWebKeySet | null;
  /** Where its public keys are published instead, fetched and cached by the server. */
  readonly jwksUri: string | null;
  /** Must send a DPoP proof with every token request. */
  readonly dpopBound: boolean;
  /** The certificate subject its tls_client_auth certificate must carry; null for other methods. */
  readonly tlsSubject: TlsSubject | null;
  /** Its tokens are bound to the TLS client certificate of the request (RFC 8705 §3). */
  readonly certificateBound: boolean;
}

/** The Client an application and its live secrets make: a pure projection, no I/O. */
export function toClient(
  application: Application,
  secrets: readonly ClientSecret[],
  defaults: Readonly<Record<TokenClass, number>>,
): Client {
  return {
    clientId: application.clientId,
    active: application.status === 'active',
    tokenClasses: tokenClassSet(application.tokenClasses),
    lifetimes:
      application.apiTokenTtl === null && application.customerTokenTtl === null
        ? defaults
        : {
            api: application.apiTokenTtl ?? defaults.api,
            customer: application.customerTokenTtl ?? defaults.customer,
          },
    secrets: secrets.map((s) => ({ digest: Buffer.from(s.digest, 'hex'), expiresAt: s.expiresAt })),
    resourceServer: application.resourceServer,
    authMethods: allowedMethods(application.tokenEndpointAuthMethod),
    jwks: application.jwks,
    jwksUri: application.jwksUri,
    dpopBound: application.dpopBoundAccessTokens,
    tlsSubject: application.tlsSubject,
    certificateBound: application.certificateBoundAccessTokens,
  };
}

/** One frozen set per combination of token classes, shared by every client that has it. */
const tokenClassSets = new Map<string, ReadonlySet<TokenClass>>();

function tokenClassSet(classes: readonly TokenClass[]): ReadonlySet<TokenClass> {
  const key = [...classes].sort().join(' ');
  let set = tokenClassSets.get(key);
  if (set === undefined) {
    set = new Set(classes);
    tokenClassSets.set(key, set);
  }
  return set;
}
