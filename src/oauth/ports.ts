import type { JsonWebKey, X509Certificate } from 'node:crypto';
import type { JSONWebKeySet } from 'jose';
import type { Client } from '../domain/client.js';
import type { Clock } from '../domain/clock.js';
import type { Customer } from '../domain/customer.js';
import type { Eventually } from '../domain/eventually.js';
import type { JwsSigner } from '../domain/jws-signer.js';
import type { ReplayCache } from '../domain/replay-cache.js';
import type { DpopNonces } from './dpop-nonce.js';

/**
 * What the OAuth endpoints need from the rest of the server. The token endpoint uses only
 * in-memory answers (caches, the key ring, a counter); introspection and revocation also ask the
 * revocation list.
 */
export interface OAuthContext {
  /** Both answer at once from a warm cache (the token path then needs no promise), or read later. */
  readonly clients: { find(clientId: string): Eventually<Client | null> };
  readonly customers: { find(customerId: string): Eventually<Customer | null> };
  readonly keys: { activeSigner(): JwsSigner; jwks(): { keys: JsonWebKey[] } };
  /**
   * Records a failed client authentication (audit log, throttle); returns the seconds the caller
   * must wait (answered 429), or 0 (answered 401). Must do no I/O on the way.
   */
  readonly failedAuthentications: { record(clientId: string, sourceIp: string): number };
  readonly revocations: {
    revoke(token: { jti: string; clientId: string; expiresAt: number }): Promise<void>;
    isRevoked(jti: string): Promise<boolean>;
  };
  /**
   * A client's public keys for private_key_jwt: inline, or from its jwks_uri (cached; fetched only
   * on a cold cache or a kid the cached set lacks).
   */
  readonly clientKeys: { keysOf(client: Client, kid: string | undefined): Promise<JSONWebKeySet | null> };
  /** The jti of every client assertion accepted, until it expires (RFC 7523 §3). */
  readonly assertionReplays: ReplayCache;
  /** DPoP server nonces (DPOP_NONCE=on): proofs at the token endpoint must carry a current one. */
  readonly dpopNonces?: DpopNonces | undefined;
  readonly clock: Clock;
  readonly issuer: string;
  readonly audience: string;
}

/** A request to an OAuth endpoint as it arrived, free of any HTTP framework. */
export interface OAuthRequest {
  readonly contentType: string | undefined;
  readonly body: Buffer | undefined;
  readonly authorization: string | undefined;
  /** The DPoP header (RFC 9449): a proof of possession of a key; an array when sent twice. */
  readonly dpop: string | string[] | undefined;
  /** The raw query string, without '?'. */
  readonly query: string;
  /**
   * The caller's address, for the throttle and audit log of failed authentications: asked only on
   * failure, as finding it may cost (with trusted proxies, X-Forwarded-For parsed and checked).
   */
  readonly sourceIp: () => string;
  /**
   * The TLS client certificate the request came with (RFC 8705), or undefined: asked only when a
   * method or a certificate-bound application needs it, so secret-based clients pay nothing.
   * Throws an OAuthError for a forwarded certificate that cannot be read.
   */
  readonly clientCertificate: () => ClientCertificate | undefined;
}

/** A client certificate as presented, and whether its chain is trusted. */
export interface ClientCertificate {
  readonly certificate: X509Certificate;
  /**
   * Whether a CA of TLS_CLIENT_CA_FILE issued it (checked by our TLS handshake), or a trusted proxy
   * forwarded it (RFC 9440: the proxy verified it). tls_client_auth needs this; self-signed not.
   */
  readonly chainVerified: boolean;
}
