import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';

/**
 * An issuer made by hand (discovery and a JWKS with one ES256 key) that signs whatever a test
 * asks, to show the verifier refusing what lean-auth never issues: a wrong `typ`, a missing claim,
 * an `iat` in the future, an algorithm outside the list.
 */
export class HandMadeIssuer {
  /** How many times the JWKS was fetched. */
  jwksFetches = 0;
  /** The JWKS's Cache-Control header, or none. */
  jwksCacheControl: string | undefined;
  /** Overrides members of the discovery document (another origin's endpoints, say). */
  metadata: Record<string, string> = {};

  private constructor(
    private readonly server: Server,
    readonly issuer: string,
    private readonly privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'],
  ) {}

  static async start(): Promise<HandMadeIssuer> {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'hand-made', alg: 'ES256', use: 'sig' };
    const holder: { issuer?: HandMadeIssuer } = {};
    const server = createServer((req, res) => {
      const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      res.setHeader('content-type', 'application/json');
      if (req.url === '/.well-known/oauth-authorization-server') {
        const metadata = { issuer, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks` };
        res.end(JSON.stringify({ ...metadata, ...holder.issuer?.metadata }));
      } else if (req.url === '/jwks') {
        if (holder.issuer) holder.issuer.jwksFetches++;
        const cacheControl = holder.issuer?.jwksCacheControl;
        if (cacheControl !== undefined) res.setHeader('cache-control', cacheControl);
        res.end(JSON.stringify({ keys: [jwk] }));
      } else {
        res.writeHead(404).end('{}');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    holder.issuer = new HandMadeIssuer(
      server,
      `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      privateKey,
    );
    return holder.issuer;
  }

  /** A token with good claims and header, changed by `claims` and `header`. */
  sign(claims: JWTPayload = {}, header: Record<string, unknown> = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const payload = {
      iss: this.issuer,
      aud: this.issuer,
      sub: 'client',
      client_id: 'client',
      scope: 'api',
      jti: 'jti',
      iat: now,
      exp: now + 600,
      ...claims,
    };
    for (const [name, value] of Object.entries(payload))
      if (value === undefined) delete (payload as Record<string, unknown>)[name];
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'hand-made', ...header })
      .sign(this.privateKey);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
