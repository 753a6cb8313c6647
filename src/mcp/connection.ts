/** What the MCP server acts as: a lean-auth server and one of its applications. */
export interface Connection {
  /** LEAN_AUTH_URL: the server's issuer, e.g. https://auth.example.com. */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** LEAN_AUTH_AUDIENCE: the server's TOKEN_AUDIENCE, when it is not the issuer. */
  readonly audience: string | undefined;
  /** LEAN_AUTH_ADMIN_TOKEN: with it, the operator's tools too. */
  readonly adminToken: string | undefined;
}
