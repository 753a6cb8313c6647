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
    status: string;
    public_jwk: string;
    sealed_private_key: string;
    created_at: number;
    retired_at: number | null;
    expires_at: number | null;
  };
}
