import type { Application } from './application.js';
import type { Customer } from './customer.js';
import type { SigningKeySummary } from './signing-keys.js';
import { TLS_SUBJECT_FIELDS, type TlsSubject, type TlsSubjectField } from './tls-client-auth.js';

/** How an application is shown to operators (CLI --json, and the admin API): never a secret digest. */
export function applicationView(a: Application) {
  return {
    client_id: a.clientId,
    name: a.name,
    status: a.status,
    token_classes: [...a.tokenClasses],
    /** Seconds; null means the server's configured default. */
    api_token_ttl: a.apiTokenTtl,
    customer_token_ttl: a.customerTokenTtl,
    resource_server: a.resourceServer,
    /** null: either client_secret_basic or client_secret_post. */
    token_endpoint_auth_method: a.tokenEndpointAuthMethod,
    jwks: a.jwks,
    jwks_uri: a.jwksUri,
    ...tlsSubjectView(a.tlsSubject),
    dpop_bound_access_tokens: a.dpopBoundAccessTokens,
    tls_client_certificate_bound_access_tokens: a.certificateBoundAccessTokens,
    created_at: iso(a.createdAt),
    updated_at: iso(a.updatedAt),
  };
}

export function customerView(c: Customer) {
  return {
    customer_id: c.customerId,
    client_id: c.clientId,
    app_user_id: c.appUserId,
    status: c.status,
    created_at: iso(c.createdAt),
  };
}

export function signingKeyView(k: SigningKeySummary) {
  return {
    kid: k.kid,
    alg: k.alg,
    /** next: published, signs from activates_at; active: signs now; retired: verifies old tokens. */
    state: k.state,
    created_at: iso(k.createdAt),
    activates_at: iso(k.activatesAt),
    /** When the key leaves the JWKS; null while nothing has replaced it. */
    expires_at: k.expiresAt === null ? null : iso(k.expiresAt),
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * A page of a listing as operators see it (the admin API, and the CLI's --json): the items, and
 * `next_after`, the `after` of the next page (the last id when the page is full), null on the last.
 */
export function pageView<T, V>(
  rows: readonly T[],
  limit: number,
  id: (row: T) => string,
  view: (row: T) => V,
): { items: V[]; next_after: string | null } {
  return { items: rows.map(view), next_after: nextAfter(rows, limit, id) };
}

/** `next_after` of a page: the last id when the page is full, else null. */
export function nextAfter<T>(items: readonly T[], limit: number, id: (item: T) => string): string | null {
  const last = items.at(-1);
  return items.length === limit && last !== undefined ? id(last) : null;
}

/** Every RFC 8705 subject field, null but the one registered. */
function tlsSubjectView(subject: TlsSubject | null): Record<TlsSubjectField, string | null> {
  const view = Object.fromEntries(TLS_SUBJECT_FIELDS.map((field) => [field, null])) as Record<
    TlsSubjectField,
    string | null
  >;
  if (subject !== null) view[subject.field] = subject.value;
  return view;
}
