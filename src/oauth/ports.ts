import type { JsonWebKey } from 'node:crypto';
import type { JSONWebKeySet } from 'jose';
import type { Client } from '../domain/client.js';
import type { Clock } from '../domain/clock.js';
import type { Customer } from '../domain/customer.js';
import type { Eventually } from '../domain/eventually.js';
import type { JwsSigner } from '../domain/jws-signer.js';
import type { ReplayCache } from '../domain/replay-cache.js';

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
}
