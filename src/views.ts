import type { SigningKeySummary } from './domain/signing-keys.js';
import type { ApplicationRow, CustomerRow } from './store/store.js';

/** How an application is shown to operators (CLI --json, and the admin API): never a secret digest. */
export function applicationView(a: ApplicationRow) {
  return {
    client_id: a.clientId,
    name: a.name,
    status: a.status,
    token_classes: [...a.tokenClasses],
    /** Seconds; null means the server's configured default. */
    api_token_ttl: a.apiTokenTtl,
    customer_token_ttl: a.customerTokenTtl,
    resource_server: a.resourceServer,
    created_at: iso(a.createdAt),
    updated_at: iso(a.updatedAt),
  };
}

export function customerView(c: CustomerRow) {
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
