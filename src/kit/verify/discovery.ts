/** The members of RFC 8414 authorization server metadata the kit uses. */
export interface ServerMetadata {
  readonly issuer: string;
  readonly token_endpoint: string;
  readonly jwks_uri: string;
  readonly introspection_endpoint?: string;
}

/**
 * Reads `<issuer>/.well-known/oauth-authorization-server` (RFC 8414 §3) and checks that it names the
 * same issuer (§3.3: otherwise another server's keys could be trusted) and that its endpoints share
 * the issuer's origin.
 */
export async function discover(issuer: string, timeoutMs = 10_000): Promise<ServerMetadata> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/oauth-authorization-server`;
  const response = await fetch(url, {
    headers: { accept: 'application/json' },
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!response.ok) throw new Error(`discovery at ${url} answered ${response.status}`);
  const metadata = (await response.json()) as Partial<ServerMetadata>;
  if (metadata.issuer !== issuer) {
    throw new Error(`discovery at ${url} names the issuer '${metadata.issuer}', not '${issuer}'`);
  }
  if (typeof metadata.jwks_uri !== 'string' || typeof metadata.token_endpoint !== 'string') {
    throw new Error(`discovery at ${url} has no jwks_uri or token_endpoint`);
  }
  // The token endpoint gets the client secret and the JWKS decides which signatures we trust: a
  // document that points them at another origin (scheme, host and port) is not believed.
  const origin = new URL(issuer).origin;
  for (const name of ['token_endpoint', 'jwks_uri', 'introspection_endpoint'] as const) {
    const value = metadata[name];
    if (value !== undefined && originOf(value) !== origin) {
      throw new Error(
        `discovery at ${url} puts ${name} at '${value}', outside the issuer's origin ${origin}`,
      );
    }
  }
  return metadata as ServerMetadata;
}

function originOf(url: string): string | undefined {
  return URL.canParse(url) ? new URL(url).origin : undefined;
}
