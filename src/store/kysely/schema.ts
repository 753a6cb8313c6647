import type { Selectable } from 'kysely';

/** Table shapes as Kysely sees them (column names are the database's). */
export interface Database {
  applications: {
    client_id: string;
    name: string;
    status: string;
    /** Space-separated token classes, e.g. "api customer". */
    token_classes: string;
    api_token_ttl: number | null;
    customer_token_ttl: number | null;
    /** 1 when the application may introspect any token (a resource server), else 0. */
    resource_server: number;
    /** RFC 7591 name; null for either client secret method. */
    token_endpoint_auth_method: string | null;
    /** The public JWKS as JSON text. */
    jwks: string | null;
    jwks_uri: string | null;
    /** 1 when every token request must carry a DPoP proof, else 0. */
    dpop_bound_access_tokens: number;
    /** The RFC 8705 subject field a tls_client_auth certificate is matched by, and its value. */
    tls_subject_field: string | null;
    tls_subject_value: string | null;
    /** 1 when tokens are bound to the request's TLS client certificate, else 0. */
    certificate_bound_access_tokens: number;
    created_at: number;
    updated_at: number;
  };
  client_secrets: {
    id: string;
    client_id: string;
    digest: string;
    created_at: number;
    expires_at: number | null;
  };
  customers: {
    customer_id: string;
    client_id: string;
    app_user_id: string;
    status: string;
    created_at: number;
  };
  signing_keys: {
    kid: string;
    alg: string;
    public_jwk: string;
    sealed_private_key: string;
    created_at: number;
    activates_at: number;
    /** The kid of the key this one follows ('' for the first key); unique, so one rotation wins. */
    rotated_from: string;
    expires_at: number | null;
  };
  revoked_tokens: {
    jti: string;
    client_id: string;
    revoked_at: number;
    expires_at: number;
  };
  audit_events: {
    id: string;
    at: number;
    actor: string;
    action: string;
    target_type: string;
    target_id: string | null;
    /** JSON: before/after (never a secret), or the counts of failed authentications. */
    detail: string;
  };
  /** Only a sandbox on PostgreSQL writes here: its generated key encryption key and admin token. */
  sandbox_secrets: {
    name: string;
    value: string;
  };
  /** Ids of deleted applications and customers: never given out again. */
  tombstones: {
    id: string;
    /** 'application' or 'customer'. */
    kind: string;
    deleted_at: number;
  };
  /** Dashboard operators (store/kysely/operator-store.ts). */
  operators: {
    id: string;
    email: string;
    role: string;
    status: string;
    password_hash: string;
    totp_secret: string | null;
    session_generation: number;
    created_at: number;
    updated_at: number;
  };
}

/** A row of table T as the database gives it. */
export type Row<T extends keyof Database> = Selectable<Database[T]>;
